import Logging
import RaftCore

/// Leadership as the operator sees it: each event of `LeadershipWatch` becomes a log line at the level it
/// deserves (info for a normal election or leader change, warning for a lost leader, a lost quorum or a
/// long stretch without a leader) and a count for the observer.
extension RaftNode {
    func leadershipChanged(_ change: RoleState) {
        logger.debug(
            "role changed",
            metadata: ["role": "\(change.role)", "term": "\(change.term)", "leader": Self.label(change.leader)])
        for event in leadership.observe(change, at: .now) { report(event) }
    }

    func checkLeadership() {
        if let event = leadership.check(at: .now) { report(event) }
        reportSilentPeers()
    }

    /// A warning when a peer this member expects to hear from falls silent (a frozen process keeps its TCP
    /// connection, so the transport's "link down" never comes), and a notice when it is heard again.
    private func reportSilentPeers() {
        let silent = silentPeers
        guard silent != reportedSilentPeers else { return }
        for peer in silent.subtracting(reportedSilentPeers).sorted(by: { $0.rawValue < $1.rawValue }) {
            logger.warning(
                "peer silent: no message for longer than an election timeout (frozen, overloaded or cut off)",
                metadata: ["peer": "\(peer.rawValue)"])
        }
        for peer in reportedSilentPeers.subtracting(silent).sorted(by: { $0.rawValue < $1.rawValue }) {
            logger.notice("peer heard again", metadata: ["peer": "\(peer.rawValue)"])
        }
        reportedSilentPeers = silent
    }

    private func report(_ event: LeadershipWatch.Event) {
        switch event {
        case .electionStarted(let term):
            observer.electionStarted(term: term)
            logger.info("election started: asking for votes", metadata: ["term": "\(term)"])
        case .leaderElected(let leader, let previous, let term, let isSelf):
            observer.leaderChanged(to: leader, term: term)
            if isSelf {
                logger.info("became leader", metadata: ["term": "\(term)", "previousLeader": Self.label(previous)])
            } else {
                logger.info(
                    "leader changed",
                    metadata: ["leader": Self.label(leader), "previousLeader": Self.label(previous), "term": "\(term)"])
            }
        case .leaderLost(let previous, let term):
            logger.warning(
                "lost the leader; writes wait until a new one is elected",
                metadata: ["previousLeader": Self.label(previous), "term": "\(term)"])
        case .quorumLost(let term):
            logger.warning(
                "stepped down: a majority of voters did not answer within an election timeout (quorum lost from here); writes stop until a majority is reachable",
                metadata: ["term": "\(term)"])
        case .steppedDown(let term):
            logger.info("stepped down: a higher term superseded this leader", metadata: ["term": "\(term)"])
        case .leaderlessTooLong(let duration):
            logger.warning(
                "no leader for longer than an election timeout: elections are failing, the cluster may have lost its quorum; writes and fresh reads stop",
                metadata: ["leaderlessMilliseconds": "\(duration.wholeMilliseconds)", "term": "\(core.term)"])
        }
    }

    /// A node id as log metadata: its number, as the `node` label of every line spells it ("-" for none).
    static func label(_ id: NodeID?) -> Logger.MetadataValue {
        guard let id else { return "-" }
        return "\(id.rawValue)"
    }
}
