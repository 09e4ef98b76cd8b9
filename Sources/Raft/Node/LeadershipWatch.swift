import RaftCore

/// Follows who leads, as this member sees it, from the core's role changes and the clock, and names the
/// moments an operator must hear about: an election started, a leader elected or changed, a leader lost, a
/// leader that stepped down because no majority answered it (quorum lost), and a stretch without any leader
/// longer than an election timeout. Pure bookkeeping: the node logs and counts what it returns.
struct LeadershipWatch: Sendable {
    enum Event: Equatable, Sendable {
        /// This member became a candidate in `term`.
        case electionStarted(term: Term)
        /// A leader this member had not counted yet: `leader` in `term`; `previous` is the one counted before.
        case leaderElected(leader: NodeID, previous: NodeID?, term: Term, isSelf: Bool)
        /// The leader this member followed is gone (its link dropped, or it stopped answering).
        case leaderLost(previous: NodeID, term: Term)
        /// This member led and stepped down in its own term with no successor: a majority of voters did not
        /// answer within an election timeout (CheckQuorum) — it is on the minority side, or the others are down.
        case quorumLost(term: Term)
        /// This member led and a higher term superseded it (an election elsewhere, or a transfer).
        case steppedDown(term: Term)
        /// No leader known for `duration`, longer than an election timeout: elections are failing.
        case leaderlessTooLong(duration: Duration)
    }

    let id: NodeID
    /// Without a leader for longer than this, `check` reports it (once per leaderless stretch).
    let leaderlessWarningAfter: Duration
    private var last: RoleState
    private var countedLeader: NodeID?
    private var countedTerm: Term?
    /// The last term this member campaigned in (nil: none since start).
    private var campaignTerm: Term?
    private var leaderlessSince: ContinuousClock.Instant?
    private var warnedLeaderless = false

    /// Starts leaderless at `now`: a member that never finds a leader after starting is reported too.
    init(id: NodeID, initial: RoleState, leaderlessWarningAfter: Duration, now: ContinuousClock.Instant) {
        self.id = id
        self.last = initial
        self.leaderlessWarningAfter = leaderlessWarningAfter
        leaderlessSince = initial.leader == nil ? now : nil
    }

    /// The events of the core's new role state `change`, seen at `now`.
    mutating func observe(_ change: RoleState, at now: ContinuousClock.Instant) -> [Event] {
        let before = last
        last = change
        var events: [Event] = []
        // A member that wins at once (a single voter, or votes arriving within one step) is never seen as a
        // candidate: becoming leader in a term it was not seen campaigning in counts its election too.
        if (change.role == .candidate || (change.role == .leader && before.role != .leader))
            && campaignTerm != change.term
        {
            campaignTerm = change.term
            events.append(.electionStarted(term: change.term))
        }
        if before.role == .leader && change.role != .leader {
            events.append(
                change.term == before.term && change.leader == nil
                    ? .quorumLost(term: change.term) : .steppedDown(term: change.term))
        } else if let previous = before.leader, previous != id, change.leader == nil {
            events.append(.leaderLost(previous: previous, term: before.term))
        }
        if let leader = change.leader {
            if leader != countedLeader || change.term != countedTerm {
                events.append(
                    .leaderElected(leader: leader, previous: countedLeader, term: change.term, isSelf: leader == id))
                countedLeader = leader
                countedTerm = change.term
            }
            leaderlessSince = nil
            warnedLeaderless = false
        } else if leaderlessSince == nil {
            leaderlessSince = now
        }
        return events
    }

    /// `leaderlessTooLong` the first time, in a stretch without a leader, that it has lasted longer than
    /// `leaderlessWarningAfter`; else nil.
    mutating func check(at now: ContinuousClock.Instant) -> Event? {
        guard let since = leaderlessSince, !warnedLeaderless, now - since > leaderlessWarningAfter else { return nil }
        warnedLeaderless = true
        return .leaderlessTooLong(duration: now - since)
    }
}
