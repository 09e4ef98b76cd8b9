import Foundation
import X509

/// A certificate and its private key, as made by `CertificateIssuer`.
public struct IssuedCredential: Sendable {
    public let certificate: Certificate
    /// X509's key type rather than Crypto's: it is `Sendable`, and signs certificates directly.
    public let privateKey: Certificate.PrivateKey

    public init(certificate: Certificate, privateKey: Certificate.PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), which both NIOSSL and OpenSSL tools read.
    public func privateKeyPEM() throws -> String { try privateKey.serializeAsPEM().pemString }

    /// Writes the certificate (mode 0644) and the private key (mode 0600, created with that mode so the key is
    /// never readable by others, not even for an instant).
    public func writePEM(certificatePath: String, privateKeyPath: String) throws {
        try PEMFile.write(try certificatePEM(), to: certificatePath, mode: 0o644)
        try PEMFile.write(try privateKeyPEM(), to: privateKeyPath, mode: 0o600)
    }
}

/// Writing PEM text to disk with an explicit mode.
public enum PEMFile {
    public struct WriteError: Error, CustomStringConvertible {
        let path: String
        let errno: Int32
        public var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
    }

    /// Replaces `path` with `text`, creating the file with `mode`. An existing file is removed first, so a
    /// key file that used to be world-readable does not keep its old mode.
    public static func write(_ text: String, to path: String, mode: mode_t) throws {
        if unlink(path) != 0 && errno != ENOENT { throw WriteError(path: path, errno: errno) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw WriteError(path: path, errno: errno) }
        defer { close(descriptor) }
        // open() applies the umask; set the mode exactly.
        guard fchmod(descriptor, mode) == 0 else { throw WriteError(path: path, errno: errno) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw WriteError(path: path, errno: errno)
            }
            written += result
        }
    }
}
