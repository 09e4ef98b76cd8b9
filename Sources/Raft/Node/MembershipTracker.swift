import RaftCore

/// Keeps the transport's peer set equal to the members a node must talk to, as membership changes arrive.
///
/// The peer set is the union of the configuration in force (which takes effect when appended) and the last
/// applied one. The union matters in two cases: a leader adding a learner dials it at once, before the change
/// commits; and a follower keeps its link to a leader that removed itself until the removal is applied here,
/// so the acknowledgements that commit the removal still reach that leader.
struct MembershipTracker: Sendable {
    let id: NodeID
    /// The configuration set by the last configuration entry this node applied (or the one in force at
    /// its applied index when it started).
    private(set) var applied: MembershipConfiguration
    /// The last peer set handed to the transport.
    private var announced: PeerSet?

    /// Peers (never this node) and the addresses the replicated configurations give for them.
    struct PeerSet: Equatable {
        var members: [NodeID]
        var addresses: [NodeID: MemberAddresses]
    }

    init(id: NodeID, applied: MembershipConfiguration) {
        self.id = id
        self.applied = applied
    }

    /// An installed snapshot replaces everything applied before it, configuration included.
    mutating func installed(_ configuration: MembershipConfiguration) {
        applied = configuration
    }

    /// Records the configuration entries among `committed` (applied in log order).
    mutating func apply(_ committed: [Entry]) {
        for entry in committed where entry.kind == .configChange {
            if let configuration = MembershipConfiguration(decoding: entry.payload) { applied = configuration }
        }
    }

    /// The peer set to hand to the transport when it differs from the last one handed over.
    mutating func peersIfChanged(inForce current: MembershipConfiguration) -> PeerSet? {
        let members = Set(current.members).union(applied.members).subtracting([id]).sorted()
        let addresses = applied.addresses.merging(current.addresses) { _, inForce in inForce }.filter {
            members.contains($0.key)
        }
        let peers = PeerSet(members: members, addresses: addresses)
        guard peers != announced else { return nil }
        announced = peers
        return peers
    }
}
