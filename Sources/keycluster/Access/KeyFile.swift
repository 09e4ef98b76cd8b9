import ArgumentParser
import ClusterIdentity
import Crypto
import Foundation
import KeyCluster

/// P-256 key files for the CLI: the private key as PEM in a 0600 file (refused when group or others may
/// read it, like ssh does), the public key as PEM next to it (`FILE.pub`) to hand to an owner for a grant.
enum KeyFile {
    static let privateMode: mode_t = 0o600
    static let publicMode: mode_t = 0o644

    /// Creates a new key in `path` (and `path.pub`); refuses to overwrite an existing key.
    static func create(at path: String) throws -> KeyHolder {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(path) exists; refusing to overwrite a key (remove it first)")
        }
        let key = P256.Signing.PrivateKey()
        try PEMFile.write(key.pemRepresentation, to: path, mode: privateMode)
        try PEMFile.write(key.publicKey.pemRepresentation, to: path + ".pub", mode: publicMode)
        return KeyHolder(key)
    }

    /// The key holder whose private key is in `path`.
    static func holder(at path: String) throws -> KeyHolder {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw ValidationError("cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw ValidationError(
                "key file \(path) may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))); chmod 600 it"
            )
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let key = try? P256.Signing.PrivateKey(pemRepresentation: text)
        else {
            throw ValidationError("\(path) is not a P-256 private key in PEM")
        }
        return KeyHolder(key)
    }

    /// A public key named on the command line: a public-key PEM file (`FILE.pub`), a private key file, or
    /// base64 of the uncompressed X9.63 point.
    static func publicKey(_ reference: String) throws -> KeyPublicKey {
        if FileManager.default.fileExists(atPath: reference) {
            guard let text = try? String(contentsOfFile: reference, encoding: .utf8) else {
                throw ValidationError("cannot read \(reference)")
            }
            if let key = try? P256.Signing.PublicKey(pemRepresentation: text) { return KeyPublicKey(key) }
            // Not a public key: only a private key file may stand here (checked for its mode there).
            guard (try? P256.Signing.PrivateKey(pemRepresentation: text)) != nil else {
                throw ValidationError("\(reference) is neither a P-256 public key nor a private key in PEM")
            }
            return try holder(at: reference).publicKey
        }
        guard let bytes = Data(base64Encoded: reference), let key = try? KeyPublicKey(x963: Array(bytes)) else {
            let looksLikePath = reference.contains("/") || reference.hasSuffix(".pem") || reference.hasSuffix(".pub")
            throw ValidationError(
                looksLikePath
                    ? "\(reference) does not exist"
                    : "\(reference) is neither a key file nor base64 of a P-256 public key")
        }
        return key
    }

    /// A key named by its 64-hex id, or by a key file whose key it is.
    static func keyID(_ reference: String) throws -> KeyID {
        if let id = try? KeyID(validating: reference) { return id }
        return try publicKey(reference).keyID
    }
}
