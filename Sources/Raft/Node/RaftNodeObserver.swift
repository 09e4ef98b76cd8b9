import RaftCore

/// What a running node tells its owner as it happens, for metrics: the shell knows the moment of each
/// event (an fsync finishing, a proposal answered, a leader elected), where a status poll would only see
/// totals or miss short-lived states altogether.
///
/// Called from the node's actor and from its storage writer thread, so implementations must be cheap and
/// thread-safe (counters and histograms are). Every method has a default that ignores the event.
public protocol RaftNodeObserver: Sendable {
    /// A batch of writes became durable: one LMDB commit, one fsync, taking `duration`.
    func storageCommitted(duration: Duration)
    /// `entries` committed entries were applied to the state machine, taking `duration` (inside the write
    /// transaction, before its commit).
    func applied(entries: Int, duration: Duration)
    /// A proposal was answered: `committed` with its result after `duration`, else refused, timed out or stopped.
    func proposalFinished(committed: Bool, duration: Duration)
    /// This member became a candidate and asked for votes in `term`.
    func electionStarted(term: Term)
    /// This member learnt of a leader it had not counted yet: `leader` in `term` (its own election included).
    func leaderChanged(to leader: NodeID, term: Term)
    /// A tick fired `lateness` after it was due; `late` when beyond `RaftNodeOptions.lateTickThreshold`.
    func ticked(lateness: Duration, late: Bool)
}

extension RaftNodeObserver {
    public func storageCommitted(duration: Duration) {}
    public func applied(entries: Int, duration: Duration) {}
    public func proposalFinished(committed: Bool, duration: Duration) {}
    public func electionStarted(term: Term) {}
    public func leaderChanged(to leader: NodeID, term: Term) {}
    public func ticked(lateness: Duration, late: Bool) {}
}

/// An observer that ignores everything: the default for nodes nobody watches (tests, tools).
public struct IgnoringRaftNodeObserver: RaftNodeObserver {
    public init() {}
}
