/// When this member last knew its applied state was current (design §6), on its own monotonic clock.
///
/// Evidence, kept as the latest moment `currentAsOf` (it never moves back):
/// - from a leader of the member's term: a message carrying commit index C that arrived at t proves every
///   entry committed before t is at or below C; once C is applied, the state is current as of t;
/// - as leader: the moment a quorum had last acknowledged it (the oldest of the quorum's latest
///   acknowledgements, this member counting as now), while it has applied its commit index — no other
///   leader can have committed anything since without that quorum.
/// The evidence stays true whatever happens later (a lost leader, a new term, an election), so a member cut
/// off from everyone keeps `currentAsOf` fixed and ages out of bounded-staleness reads by itself, without
/// comparing clocks across members.
struct FreshnessTracker {
    typealias Instant = ContinuousClock.Instant

    /// Commit confirmations from the leader waiting for the applied index to reach them; oldest first.
    private var pending: [(at: Instant, commit: LogIndex)] = []
    /// Confirmations kept waiting at most; the oldest is dropped first (newer ones prove more).
    static let maxPendingConfirmations = 64
    /// Leader only: the latest acknowledgement from each peer in `term`.
    private var acknowledgements: [NodeID: Instant] = [:]
    private var term: Term = 0
    private(set) var currentAsOf: Instant?

    /// What the node's core says after stepping a message.
    struct CoreView {
        var id: NodeID
        var term: Term
        var leader: NodeID?
        var isLeader: Bool
        var voters: [NodeID]
        var commitIndex: LogIndex
        var appliedIndex: LogIndex
    }

    mutating func observe(_ message: Message, at now: Instant, core: CoreView) {
        if core.term != term {
            term = core.term
            pending.removeAll()
            acknowledgements.removeAll()
        }
        guard message.term == core.term else { return }
        switch message.body {
        case .heartbeat(let heartbeat) where message.from == core.leader:
            confirm(commit: heartbeat.commit, at: now, applied: core.appliedIndex)
        case .appendEntries(let append) where message.from == core.leader:
            confirm(commit: append.leaderCommit, at: now, applied: core.appliedIndex)
        // Only a leader counts acknowledgements: a member that stepped down within the term may still get
        // late responses, which say nothing about its own state being current.
        case .heartbeatResponse where core.isLeader, .appendEntriesResponse where core.isLeader:
            acknowledgements[message.from] = now
            if core.appliedIndex >= core.commitIndex, let quorumTime = quorumAcknowledged(now: now, core: core) {
                advance(to: quorumTime)
            }
        default:
            break
        }
    }

    /// The applied index advanced: confirmations it now covers make the state current as of their time.
    mutating func applied(upTo applied: LogIndex) {
        while let first = pending.first, first.commit <= applied {
            advance(to: first.at)
            pending.removeFirst()
        }
    }

    /// `currentAsOf`, and for a leader that has applied its commit index, the quorum evidence as of `now`
    /// (a single-voter leader is its own quorum: current now).
    func currentAsOf(now: Instant, core: CoreView) -> Instant? {
        guard core.isLeader, core.appliedIndex >= core.commitIndex, let quorumTime = quorumAcknowledged(now: now, core: core) else {
            return currentAsOf
        }
        return max(currentAsOf ?? quorumTime, quorumTime)
    }

    private func quorumAcknowledged(now: Instant, core: CoreView) -> Instant? {
        let times = core.voters.compactMap { $0 == core.id ? now : acknowledgements[$0] }.sorted(by: >)
        let quorum = core.voters.count / 2 + 1
        return times.count >= quorum ? times[quorum - 1] : nil
    }

    private mutating func confirm(commit: LogIndex, at now: Instant, applied: LogIndex) {
        if commit <= applied {
            advance(to: now)
            pending.removeAll()
            return
        }
        if pending.count == Self.maxPendingConfirmations { pending.removeFirst() }
        pending.append((now, commit))
    }

    private mutating func advance(to instant: Instant) {
        currentAsOf = max(currentAsOf ?? instant, instant)
    }
}
