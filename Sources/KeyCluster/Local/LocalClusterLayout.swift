import Foundation
import Raft

/// Lays out a cluster on this machine: a cluster CA, a certificate and a configuration file per member,
/// and a data directory per member — everything `keycluster serve --config` needs. Used by the embedded
/// default (`keycluster serve` with no arguments), the local cluster scripts and the cluster tests.
///
/// Files in `directory`: `ca.pem` and `ca-key.pem` (0600), and for member N: `node-N.pem`,
/// `node-N-key.pem` (0600), `node-N.json`, and the data directory `node-N/`.
public struct LocalClusterLayout: Sendable {
    public struct MemberPlan: Sendable {
        public var id: UInt64
        public var region: String
        public var peerPort: Int
        public var clientPort: Int
        /// The IPv4 address this member listens on, when not the layout's `host` (e.g. one network
        /// namespace per member); it is also named in the member's certificate.
        public var host: String?

        public init(id: UInt64, region: String, peerPort: Int, clientPort: Int, host: String? = nil) {
            self.id = id
            self.region = region
            self.peerPort = peerPort
            self.clientPort = clientPort
            self.host = host
        }
    }

    public let directory: String
    public let host: String

    public init(directory: String, host: String = "127.0.0.1") {
        self.directory = directory
        self.host = host
    }

    public var caCertificatePath: String { "\(directory)/ca.pem" }
    public var caPrivateKeyPath: String { "\(directory)/ca-key.pem" }
    public func configurationPath(of id: UInt64) -> String { "\(directory)/node-\(id).json" }

    /// Creates the CA (or reuses the one already in `directory`), member certificates and configurations.
    @discardableResult
    public func create(
        members plans: [MemberPlan], timing: NodeConfiguration.Timing = .init(), maxStalenessMilliseconds: Int? = nil
    ) throws -> [NodeConfiguration] {
        precondition(!plans.isEmpty, "a cluster has members")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let issuer = try loadOrCreateCA()
        let members = plans.map { plan in
            let host = plan.host ?? host
            return NodeConfiguration.Member(
                id: plan.id, region: plan.region, peerAddress: "\(host):\(plan.peerPort)", clientAddress: "\(host):\(plan.clientPort)")
        }
        return try plans.map { plan in
            let certificate = "\(directory)/node-\(plan.id).pem"
            let key = "\(directory)/node-\(plan.id)-key.pem"
            let addresses = try plan.host.map { [try Self.ipv4Bytes($0)] } ?? []
            try issuer.issueNode(id: plan.id, region: plan.region, ipv4Addresses: addresses)
                .writePEM(certificatePath: certificate, privateKeyPath: key)
            var configuration = NodeConfiguration(
                id: plan.id, dataDirectory: "\(directory)/node-\(plan.id)", members: members,
                tls: .init(caCertificate: caCertificatePath, certificate: certificate, privateKey: key), timing: timing)
            configuration.maxStalenessMilliseconds = maxStalenessMilliseconds
            try configuration.validate()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(configuration).write(to: URL(fileURLWithPath: configurationPath(of: plan.id)))
            return configuration
        }
    }

    /// `host` as four bytes; only dotted-quad IPv4 is taken (it goes into a certificate as an IP name).
    static func ipv4Bytes(_ host: String) throws -> [UInt8] {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard parts.count == 4 else { throw NodeConfiguration.Invalid(reason: "member host '\(host)' is not an IPv4 address") }
        return parts
    }

    /// Issues an operator client certificate signed by this layout's CA.
    public func issueOperator(name: String) throws -> (certificate: String, privateKey: String) {
        let paths = ("\(directory)/operator-\(name).pem", "\(directory)/operator-\(name)-key.pem")
        try loadOrCreateCA().issueOperator(name: name).writePEM(certificatePath: paths.0, privateKeyPath: paths.1)
        return paths
    }

    private func loadOrCreateCA() throws -> CertificateIssuer {
        if FileManager.default.fileExists(atPath: caCertificatePath) {
            return try CertificateIssuer(
                caCertificatePEM: String(contentsOfFile: caCertificatePath, encoding: .utf8),
                caPrivateKeyPEM: String(contentsOfFile: caPrivateKeyPath, encoding: .utf8))
        }
        let issuer = try CertificateIssuer.makeCA()
        try issuer.ca.writePEM(certificatePath: caCertificatePath, privateKeyPath: caPrivateKeyPath)
        return issuer
    }
}
