import Foundation
import RaftCore
import RaftTransport

/// Everything one `keycluster serve` process needs, read from a JSON file (`--config FILE`).
///
/// Every member's file lists the whole voter set with regions and addresses; ids are stable for a member's
/// lifetime. Validation happens once at start-up and names what is wrong, so a bad file never half-starts.
///
/// The file is where a member starts from, not where it stays: membership changes (and the addresses of members
/// they add) come through the replicated log, so a restart after a change uses the log's membership. A member
/// with `"join": true` does not bootstrap: it lists the existing members it will hear from, and waits until an
/// operator adds it (docs/membership.md).
public struct NodeConfiguration: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var id: UInt64
        public var region: String
        public var zone: String?
        /// Where other members reach this member's Raft transport.
        public var peerAddress: String
        /// Where clients reach this member's HTTPS API.
        public var clientAddress: String

        public init(id: UInt64, region: String, zone: String? = nil, peerAddress: String, clientAddress: String) {
            self.id = id
            self.region = region
            self.zone = zone
            self.peerAddress = peerAddress
            self.clientAddress = clientAddress
        }
    }

    public struct TLSFiles: Codable, Sendable, Equatable {
        public var caCertificate: String
        public var certificate: String
        public var privateKey: String
        /// The member's token-signing credential (`keycluster certs signer`): tokens and key lists are signed
        /// with it, never with the TLS key. Re-read when the files change, so a renewal needs no restart.
        public var signingCertificate: String?
        public var signingPrivateKey: String?

        public init(
            caCertificate: String, certificate: String, privateKey: String, signingCertificate: String? = nil,
            signingPrivateKey: String? = nil
        ) {
            self.caCertificate = caCertificate
            self.certificate = certificate
            self.privateKey = privateKey
            self.signingCertificate = signingCertificate
            self.signingPrivateKey = signingPrivateKey
        }
    }

    /// Raft timing. Defaults (design §3): 100 ms ticks, heartbeat every tick, election after 10–20 ticks.
    /// Across regions, keep `electionTicks × tickMilliseconds` well above several inter-region round trips.
    public struct Timing: Codable, Sendable, Equatable {
        public var tickMilliseconds: Int
        public var heartbeatTicks: Int
        public var electionTicks: Int

        public init(tickMilliseconds: Int = 100, heartbeatTicks: Int = 1, electionTicks: Int = 10) {
            self.tickMilliseconds = tickMilliseconds
            self.heartbeatTicks = heartbeatTicks
            self.electionTicks = electionTicks
        }
    }

    /// This member's id; must appear in `members`.
    public var id: UInt64
    public var dataDirectory: String
    public var members: [Member]
    public var tls: TLSFiles
    public var timing: Timing
    /// Bootstraps even when one region holds enough voters that losing it loses the quorum (design §7).
    /// Only for deliberate, temporary layouts; absent means false.
    public var forceUnsafePlacement: Bool?

    /// Joins an existing cluster instead of bootstrapping one: `members` lists the existing members and this
    /// one, and this member starts with no vote until an operator adds it as a learner. Absent means false.
    public var join: Bool?

    public var isJoining: Bool { join == true }

    /// The voters, regions and addresses this member starts from (later changes come through the log). A
    /// joining member is not among the voters: it learns its membership from the leader.
    public var bootstrapMembership: MembershipConfiguration {
        MembershipConfiguration(
            voters: members.map { NodeID($0.id) }.filter { !isJoining || $0 != NodeID(id) },
            regions: Dictionary(uniqueKeysWithValues: members.map { (NodeID($0.id), $0.region) }),
            addresses: Dictionary(
                uniqueKeysWithValues: members.map {
                    (NodeID($0.id), MemberAddresses(peer: $0.peerAddress, client: $0.clientAddress))
                }))
    }

    /// When to snapshot and compact the log; absent means the defaults (`Snapshots`).
    public var snapshots: Snapshots?

    /// How stale a bounded-consistency unlock decision may be (design §6); 0 disables bounded reads.
    /// Absent means `defaultMaxStalenessMilliseconds`.
    public var maxStalenessMilliseconds: Int?

    public static let defaultMaxStalenessMilliseconds = 5_000

    /// Serve the diagnostic routes (`/debug/kv/…`, `/debug/counter/…`, which write to the replicated log), to
    /// operator client certificates only. Absent or false: they do not exist (404). For test and benchmark
    /// clusters (`local-cluster init --debug-routes`); never needed in production.
    public var debugRoutes: Bool?

    /// Mixed into the id of a cluster bootstrapped from this file (`ClusterIDDerivation`), the same on every
    /// member: a fresh value per cluster (e.g. `openssl rand -hex 16`) keeps a cluster rebuilt at the same
    /// addresses with the same CA apart from the old one. Absent means empty.
    public var initialClusterToken: String?

    /// Bounds on client connections and requests in flight (design §8); absent fields take their defaults.
    public var admission: AdmissionLimits?
    public var effectiveAdmission: AdmissionLimits { admission ?? AdmissionLimits() }
    /// Bounds on the peer port: the unverified budget, the handshake and dead-peer timeouts, log rates
    /// (design §9); absent fields take the transport's defaults.
    public var peer: PeerPortLimits?
    public var effectivePeer: PeerPortLimits { peer ?? PeerPortLimits() }
    /// Bounds on the replicated state and the free disk (absent: `StorageQuota`'s defaults).
    public var quota: StorageQuota?
    public var effectiveQuota: StorageQuota { quota ?? StorageQuota() }
    public var effectiveMaxStaleness: Duration {
        .milliseconds(maxStalenessMilliseconds ?? Self.defaultMaxStalenessMilliseconds)
    }

    public init(id: UInt64, dataDirectory: String, members: [Member], tls: TLSFiles, timing: Timing = Timing()) {
        self.id = id
        self.dataDirectory = dataDirectory
        self.members = members
        self.tls = tls
        self.timing = timing
    }

    /// A configuration problem, named for the operator.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { "invalid configuration: \(reason)" }

        package init(reason: String) { self.reason = reason }
    }

    public var me: Member {
        get throws(Invalid) {
            guard let me = members.first(where: { $0.id == id }) else {
                throw Invalid(reason: "member \(id) is not in members")
            }
            return me
        }
    }

    /// Reads and validates the configuration at `path`; the files it names are relative to `path`'s directory.
    public static func load(from path: String) throws -> NodeConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Invalid(reason: "cannot read \(path): \(error.localizedDescription)")
        }
        if let unknown = ConfigurationKeys.unknownKey(in: data) {
            throw Invalid(reason: "\(path): \(unknown); a misspelt key would otherwise be ignored and its default used")
        }
        let configuration: NodeConfiguration
        do {
            configuration = try JSONDecoder().decode(NodeConfiguration.self, from: data).resolvingPaths(nextTo: path)
        } catch {
            throw Invalid(reason: "\(path) is not a valid configuration: \(DecodingProblem.describe(error))")
        }
        try configuration.validate()
        return configuration
    }

    public func validate() throws(Invalid) {
        _ = try me
        guard Set(members.map(\.id)).count == members.count else { throw Invalid(reason: "member ids repeat") }
        guard !members.contains(where: { $0.id == 0 }) else { throw Invalid(reason: "member id 0 is reserved") }
        for member in members {
            _ = try Self.endpoint(member.peerAddress, of: "member \(member.id) peerAddress")
            _ = try Self.endpoint(member.clientAddress, of: "member \(member.id) clientAddress")
            guard !member.region.isEmpty else { throw Invalid(reason: "member \(member.id) has no region") }
        }
        guard !isJoining || members.count > 1 else {
            throw Invalid(reason: "a joining member must list at least one existing member to hear from")
        }
        try snapshots?.validate()
        guard (maxStalenessMilliseconds ?? 0) >= 0 else {
            throw Invalid(reason: "maxStalenessMilliseconds must not be negative")
        }
        if let refusal = effectiveAdmission.refusal { throw Invalid(reason: refusal) }
        if let refusal = effectivePeer.refusal { throw Invalid(reason: refusal) }
        if let refusal = effectiveQuota.refusal { throw Invalid(reason: refusal) }
        guard tls.signingCertificate != nil, tls.signingPrivateKey != nil else {
            throw Invalid(
                reason:
                    "tls.signingCertificate and tls.signingPrivateKey must name this member's token-signing credential (keycluster certs signer --id \(id))"
            )
        }
        // A one-member (development) cluster has no region to survive the loss of.
        if members.count > 1, !isJoining, forceUnsafePlacement != true,
            let refusal = bootstrapMembership.placement.refusal
        {
            throw Invalid(reason: "refusing to bootstrap: \(refusal) (set \"forceUnsafePlacement\": true to override)")
        }
        guard timing.tickMilliseconds >= 1, timing.heartbeatTicks >= 1, timing.electionTicks > timing.heartbeatTicks
        else {
            throw Invalid(reason: "timing needs tickMilliseconds ≥ 1 and electionTicks > heartbeatTicks ≥ 1")
        }
    }

    /// Splits `host:port` (IPv6 as `[::1]:port`).
    public static func endpoint(_ address: String, of what: String) throws(Invalid) -> PeerAddress {
        guard address.utf8.count <= MemberAddresses.maxAddressBytes, let endpoint = PeerAddress(parsing: address) else {
            throw Invalid(
                reason: "\(what) '\(address)' is not host:port (at most \(MemberAddresses.maxAddressBytes) bytes)")
        }
        return endpoint
    }
}
