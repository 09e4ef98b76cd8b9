import RaftCore

/// What the member list shows: the configuration in force and, on the leader, how far each member's log
/// matches the leader's.
public struct MembershipStatus: Sendable, Equatable {
    public var id: NodeID
    public var configuration: MembershipConfiguration
    public var leader: NodeID?
    public var term: Term
    public var commitIndex: LogIndex
    public var lastIndex: LogIndex
    /// A configuration entry is appended but not committed: the next change is refused until it is.
    public var isChangePending: Bool
    /// Leader only: each member's match index (the leader's own is its last index).
    public var matchIndexes: [NodeID: LogIndex]

    /// Whether this node is a voter or learner in the configuration in force.
    public var isMember: Bool { configuration.members.contains(id) }

    /// The client addresses of the other members, for answers that send a client elsewhere.
    public var otherClientAddresses: [String] {
        configuration.members.filter { $0 != id }.compactMap { configuration.addresses[$0]?.client }
    }

    /// The client address of `member`, when the configuration records one.
    public func clientAddress(of member: NodeID?) -> String? {
        member.flatMap { configuration.addresses[$0]?.client }
    }
}

extension RaftNode {
    public var membershipStatus: MembershipStatus {
        var matches: [NodeID: LogIndex] = [:]
        if core.role == .leader {
            for member in core.configuration.members {
                matches[member] = member == id ? core.lastPosition.index : core.replicationStatus(of: member)?.match
            }
        }
        return MembershipStatus(
            id: id, configuration: core.configuration, leader: core.leader, term: core.term,
            commitIndex: core.commitIndex,
            lastIndex: core.lastPosition.index, isChangePending: core.isMembershipChangePending, matchIndexes: matches)
    }

    /// Hands the transport the current peer set when a configuration change (appended or applied) altered it.
    func syncTransportPeers() {
        guard let peers = membershipTracker.peersIfChanged(inForce: core.configuration) else { return }
        logger.info(
            "members changed", metadata: ["peers": "\(peers.members)", "configuration": "\(core.configuration)"])
        transport.updateMembers(peers.members, addresses: peers.addresses)
    }

    /// Notes the configurations a durable batch applied — an installed snapshot's, then configuration entries
    /// in log order — and resyncs the peer set.
    func noteApplied(_ batch: [Ready]) {
        for ready in batch {
            if let snapshot = ready.snapshotToInstall { membershipTracker.installed(snapshot.configuration) }
            membershipTracker.apply(ready.committedEntries)
        }
        syncTransportPeers()
    }
}
