import Foundation
import NIOSSL

/// A certificate or key file checked before use, so a wrong path or a file that is not PEM is reported with
/// its name and role ("the member certificate /etc/… is not a PEM certificate") rather than as
/// `failedToLoadCertificate` or an ASN.1 parser's error from deep inside a TLS setup.
enum PEMFileCheck {
    static func certificate(_ path: String, role: String, origin: String) throws {
        try readable(path, role: role, origin: origin)
        do {
            _ = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw CLIError(
                "the \(role) \(path) is not a PEM certificate", cause: "\(role) \(origin)",
                hint: "check the path, or issue it again with `keycluster certs`")
        }
    }

    static func privateKey(_ path: String, role: String, origin: String) throws {
        try readable(path, role: role, origin: origin)
        do {
            _ = try NIOSSLPrivateKey(file: path, format: .pem)
        } catch {
            throw CLIError(
                "the \(role) \(path) is not a PEM private key", cause: "\(role) \(origin)",
                hint: "check the path, or issue it again with `keycluster certs`")
        }
    }

    static func readable(_ path: String, role: String, origin: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError(
                "the \(role) \(path) does not exist", cause: "\(role) \(origin)",
                hint:
                    "relative paths in a configuration file are relative to that file; issue missing files with `keycluster certs`"
            )
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CLIError(
                "cannot read the \(role) \(path)", cause: "permission denied", hint: "run as the user that owns it")
        }
    }
}
