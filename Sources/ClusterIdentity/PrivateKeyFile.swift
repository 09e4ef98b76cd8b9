#if canImport(Glibc)
    import Glibc
#endif

/// Checks on private key files: the member's TLS key and its token-signing key are warned about (not
/// refused — the operator may be mid-fix) when group or others may read them.
public enum PrivateKeyFile {
    /// The file's permission bits if group or others may access it, else `nil` (also when it cannot be read:
    /// loading it reports that).
    public static func looseMode(at path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let mode = info.st_mode & 0o777
        return mode & 0o077 == 0 ? nil : mode
    }
}
