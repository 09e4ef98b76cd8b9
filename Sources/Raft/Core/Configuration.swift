/// Who votes. Kept as a sorted array, never iterated as a `Set`, so that message order — and with it
/// every simulated run — is the same for the same seed. Membership changes one server at a time
/// (see `RaftCore+Membership`), so there is never a joint (outgoing) voter set.
///
/// Learners replicate the log but never vote, never count toward commit and never campaign. Each
/// member's region feeds `VoterPlacement`; a member without one is placed in `unknownRegion`.
///
/// Each member's addresses travel with the configuration (like etcd's peer URLs in a member add), so every
/// member learns where a new one listens from the log itself, and a restart finds them there — not in a
/// file written before the change. The core carries them and never reads them.
public struct MembershipConfiguration: Sendable, Equatable, CustomStringConvertible {
    public private(set) var voters: [NodeID]
    public private(set) var learners: [NodeID]
    public private(set) var regions: [NodeID: String]
    /// Where each member is reached; a member without an entry is reached where the runtime already knew.
    public private(set) var addresses: [NodeID: MemberAddresses]

    public static let unknownRegion = "unknown"

    public init(
        voters: some Sequence<NodeID>, learners: some Sequence<NodeID> = [NodeID](), regions: [NodeID: String] = [:],
        addresses: [NodeID: MemberAddresses] = [:]
    ) {
        self.voters = Array(Set(voters)).sorted()
        self.learners = Array(Set(learners).subtracting(self.voters)).sorted()
        let members = Set(self.voters).union(self.learners)
        self.regions = regions.filter { members.contains($0.key) }
        self.addresses = addresses.filter { members.contains($0.key) }
        precondition(!self.voters.isEmpty, "a configuration needs at least one voter")
    }

    public func isVoter(_ id: NodeID) -> Bool {
        voters.contains(id)
    }

    public func isLearner(_ id: NodeID) -> Bool {
        learners.contains(id)
    }

    /// Voters and learners, sorted: everyone a leader replicates to.
    public var members: [NodeID] { (voters + learners).sorted() }

    public func region(of id: NodeID) -> String { regions[id] ?? Self.unknownRegion }

    /// The placement of the voters, for the one-region-loss check.
    public var placement: VoterPlacement {
        VoterPlacement(regions: Dictionary(uniqueKeysWithValues: voters.map { ($0, region(of: $0)) }))
    }

    public var description: String { learners.isEmpty ? "voters \(voters)" : "voters \(voters) learners \(learners)" }
}

/// Where a member listens, as `host:port` strings: its Raft peer transport and its client (HTTPS) API.
/// Opaque to the core; bounded so a configuration entry stays small.
public struct MemberAddresses: Sendable, Hashable, CustomStringConvertible {
    public let peer: String
    public let client: String

    /// Longest address kept, in UTF-8 bytes (also the bound the configuration decoder enforces).
    public static let maxAddressBytes = 255

    public init(peer: String, client: String) {
        precondition(
            !peer.isEmpty && peer.utf8.count <= Self.maxAddressBytes,
            "peer address must be 1–\(Self.maxAddressBytes) bytes")
        precondition(
            !client.isEmpty && client.utf8.count <= Self.maxAddressBytes,
            "client address must be 1–\(Self.maxAddressBytes) bytes")
        self.peer = peer
        self.client = client
    }

    public var description: String { "peer \(peer) client \(client)" }
}
