import Glibc

/// The free space of the file system holding a path, as an unprivileged process may use it.
public enum DiskSpace {
    /// Bytes available to this process (`f_bavail`, which leaves out the blocks reserved for root) on the
    /// file system holding `path`; nil when the file system cannot be asked (the path vanished).
    public static func availableBytes(at path: String) -> Int? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let (bytes, overflow) = Int(clamping: stats.f_bavail).multipliedReportingOverflow(
            by: Int(clamping: stats.f_frsize))
        return overflow ? Int.max : bytes
    }
}
