import ClusterIdentity
import Foundation
import KeyCluster

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
        /// The address this member listens on, when not the layout's `host` (e.g. one network
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
    /// The CA and certificates live in the cluster's directory, named as `keycluster certs` names them.
    public let certificates: CertificateDirectory

    public init(directory: String, host: String = "127.0.0.1") {
        self.directory = directory
        self.host = host
        self.certificates = CertificateDirectory(path: directory)
    }

    public var caCertificatePath: String { certificates.caCertificatePath }
    public func configurationPath(of id: UInt64) -> String { "\(directory)/node-\(id).json" }

    /// Creates the CA (or reuses the one already in `directory`), member certificates and configurations.
    @discardableResult
    /// `debugRoutes`: serve the diagnostic `/debug/…` routes (to operator certificates only) — for test and
    /// benchmark clusters; never on by default.
    public func create(
        members plans: [MemberPlan], timing: NodeConfiguration.Timing = .init(), maxStalenessMilliseconds: Int? = nil,
        debugRoutes: Bool = false
    ) throws -> [NodeConfiguration] {
        precondition(!plans.isEmpty, "a cluster has members")
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if !certificates.hasCA { try certificates.createCA() }
        let members = plans.map(member)
        // One fresh token per cluster: a cluster made again in the same directory gets a new cluster id.
        let token = (0..<2).map { _ in String(UInt64.random(in: 0 ... .max), radix: 16) }.joined()
        return try plans.map { plan in
            try write(
                plan, members: members, joining: false, timing: timing,
                maxStalenessMilliseconds: maxStalenessMilliseconds,
                debugRoutes: debugRoutes, initialClusterToken: token)
        }
    }

    /// Creates the certificate and configuration of a member that joins a running cluster (`"join": true`):
    /// it lists `existing` (the current members, which will dial it or be dialed) and itself. Needs the CA
    /// already in `directory`.
    @discardableResult
    public func createJoining(
        _ plan: MemberPlan, existing: [NodeConfiguration.Member], timing: NodeConfiguration.Timing = .init(),
        maxStalenessMilliseconds: Int? = nil, debugRoutes: Bool = false
    ) throws -> NodeConfiguration {
        precondition(!existing.contains { $0.id == plan.id }, "a joining member has a new id")
        guard certificates.hasCA else {
            throw NodeConfiguration.Invalid(
                reason: "no cluster CA in \(directory): a joining member needs the cluster's CA")
        }
        return try write(
            plan, members: existing + [member(plan)], joining: true, timing: timing,
            maxStalenessMilliseconds: maxStalenessMilliseconds,
            debugRoutes: debugRoutes, initialClusterToken: nil)
    }

    private func member(_ plan: MemberPlan) -> NodeConfiguration.Member {
        NodeConfiguration.Member(
            id: plan.id, region: plan.region, peerAddress: "\(plan.host ?? host):\(plan.peerPort)",
            clientAddress: "\(plan.host ?? host):\(plan.clientPort)")
    }

    /// Issues the member's certificate and writes its validated configuration file.
    private func write(
        _ plan: MemberPlan, members: [NodeConfiguration.Member], joining: Bool, timing: NodeConfiguration.Timing,
        maxStalenessMilliseconds: Int?, debugRoutes: Bool, initialClusterToken: String?
    ) throws -> NodeConfiguration {
        // Loopback names always, so local tools reach every member; plus the host members listen on.
        let listens = plan.host ?? host
        let hosts =
            CertificateIssuer.loopbackHosts + (CertificateIssuer.loopbackHosts.contains(listens) ? [] : [listens])
        let files = try certificates.issueNode(id: plan.id, region: plan.region, hosts: hosts)
        let signing = try certificates.issueTokenSigner(id: plan.id)
        var configuration = NodeConfiguration(
            id: plan.id, dataDirectory: "\(directory)/node-\(plan.id)", members: members,
            tls: .init(
                caCertificate: caCertificatePath, certificate: files.certificate, privateKey: files.privateKey,
                signingCertificate: signing.certificate, signingPrivateKey: signing.privateKey),
            timing: timing)
        configuration.maxStalenessMilliseconds = maxStalenessMilliseconds
        configuration.join = joining ? true : nil
        configuration.debugRoutes = debugRoutes ? true : nil
        configuration.initialClusterToken = initialClusterToken
        try configuration.validate()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // On disk the paths are relative to the file (all of them live beside it), so the directory can be
        // moved and `serve --config DIR/node-N.json` works from any working directory.
        try encoder.encode(configuration.pathsRelative(inside: directory)).write(
            to: URL(fileURLWithPath: configurationPath(of: plan.id)))
        return configuration
    }

    /// Issues an operator client certificate signed by this layout's CA.
    public func issueOperator(name: String) throws -> (certificate: String, privateKey: String) {
        let files = try certificates.issueOperator(name: name)
        return (files.certificate, files.privateKey)
    }
}
