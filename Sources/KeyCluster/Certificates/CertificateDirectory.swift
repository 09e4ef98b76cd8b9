import ClusterIdentity
import Foundation

/// A directory holding a cluster CA and the certificates issued from it, under one naming scheme that the
/// local-cluster tooling, `keycluster certs …` and the operator guide share:
///
///     ca.pem, ca-key.pem                          the cluster CA (key 0600)
///     node-N.pem, node-N-key.pem                  member N's certificate (key 0600)
///     operator-NAME.pem, operator-NAME-key.pem    an operator's client certificate (key 0600)
///
/// The directory itself is created 0700: it holds the CA key, which can mint any member or operator.
public struct CertificateDirectory: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var caCertificatePath: String { "\(path)/ca.pem" }
    public var caPrivateKeyPath: String { "\(path)/ca-key.pem" }
    public func nodeFiles(of id: UInt64) -> CredentialFiles {
        CredentialFiles(certificate: "\(path)/node-\(id).pem", privateKey: "\(path)/node-\(id)-key.pem")
    }
    public func signerFiles(of id: UInt64) -> CredentialFiles {
        CredentialFiles(certificate: "\(path)/node-\(id)-signing.pem", privateKey: "\(path)/node-\(id)-signing-key.pem")
    }
    public func operatorFiles(named name: String) -> CredentialFiles {
        CredentialFiles(certificate: "\(path)/operator-\(name).pem", privateKey: "\(path)/operator-\(name)-key.pem")
    }

    /// Where a certificate and its private key live.
    public struct CredentialFiles: Sendable, Equatable {
        public let certificate: String
        public let privateKey: String
    }

    /// Something about the directory that stops an action, named for the operator.
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { reason }
    }

    public var hasCA: Bool { FileManager.default.fileExists(atPath: caCertificatePath) }

    /// Makes a new CA here. Refuses to replace an existing one: every member and operator certificate
    /// issued from it would stop being trusted at once (rotation is a new CA in a new directory).
    @discardableResult
    public func createCA(commonName: String = "KeyCluster cluster CA", validityDays: Int = 3_650) throws
        -> CertificateIssuer
    {
        precondition(validityDays > 0, "validity must be positive")
        guard !hasCA else { throw Refusal(reason: "\(caCertificatePath) exists; a new CA belongs in a new directory") }
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let issuer = try CertificateIssuer.makeCA(
            commonName: commonName, validitySeconds: Self.seconds(days: validityDays))
        try issuer.ca.writePEM(certificatePath: caCertificatePath, privateKeyPath: caPrivateKeyPath)
        return issuer
    }

    /// The CA kept here, checked to be a CA whose key matches its certificate.
    public func loadCA() throws -> CertificateIssuer {
        guard hasCA else {
            throw Refusal(reason: "no CA in \(path) (create one with `keycluster certs ca --dir \(path)`)")
        }
        return try CertificateIssuer(
            caCertificatePEM: String(contentsOfFile: caCertificatePath, encoding: .utf8),
            caPrivateKeyPEM: String(contentsOfFile: caPrivateKeyPath, encoding: .utf8))
    }

    /// Issues member `id`'s certificate (its id and region in SAN URIs, plus the hosts clients dial).
    @discardableResult
    public func issueNode(
        id: UInt64, region: String, hosts: [String] = CertificateIssuer.loopbackHosts, validityDays: Int = 365
    ) throws -> CredentialFiles {
        precondition(validityDays > 0, "validity must be positive")
        guard ClusterIdentity.isValidName(region) else { throw Refusal(reason: "invalid region name '\(region)'") }
        guard id > 0 else { throw Refusal(reason: "member id 0 is reserved") }
        let files = nodeFiles(of: id)
        try loadCA().issueNode(id: id, region: region, hosts: hosts, validitySeconds: Self.seconds(days: validityDays))
            .writePEM(certificatePath: files.certificate, privateKeyPath: files.privateKey)
        return files
    }

    /// Issues (or renews, in place) member `id`'s token-signing certificate. Files are replaced atomically,
    /// so a running member that re-reads them sees the old pair or the new one.
    @discardableResult
    public func issueTokenSigner(id: UInt64, validitySeconds: Int64 = TokenSigningUsage.defaultValiditySeconds) throws
        -> CredentialFiles
    {
        precondition(validitySeconds > 0, "validity must be positive")
        guard id > 0 else { throw Refusal(reason: "member id 0 is reserved") }
        guard validitySeconds <= TokenSigningUsage.maxValiditySeconds else {
            throw Refusal(
                reason:
                    "a token-signing certificate lives at most \(TokenSigningUsage.maxValiditySeconds / 86_400) days (vehicles refuse longer ones)"
            )
        }
        let files = signerFiles(of: id)
        try loadCA().issueTokenSigner(id: id, validitySeconds: validitySeconds)
            .writePEM(certificatePath: files.certificate, privateKeyPath: files.privateKey)
        return files
    }

    /// Issues an operator's client certificate (client authentication only: it can never act as a member).
    @discardableResult
    public func issueOperator(name: String, validityDays: Int = 365) throws -> CredentialFiles {
        precondition(validityDays > 0, "validity must be positive")
        guard ClusterIdentity.isValidName(name) else { throw Refusal(reason: "invalid operator name '\(name)'") }
        let files = operatorFiles(named: name)
        try loadCA().issueOperator(name: name, validitySeconds: Self.seconds(days: validityDays))
            .writePEM(certificatePath: files.certificate, privateKeyPath: files.privateKey)
        return files
    }

    private static func seconds(days: Int) -> Int64 { Int64(days) * 24 * 3_600 }
}
