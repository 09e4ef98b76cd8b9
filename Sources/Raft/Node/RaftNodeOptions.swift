import RaftCore

/// Tunables of a running node. The defaults suit a LAN or one region; across regions raise
/// `tickInterval` (or the core's tick counts) so an election timeout spans several round trips.
public struct RaftNodeOptions: Sendable {
    /// Real time per core tick. Default 100 ms: heartbeat every tick, election after 10–20 ticks.
    public var tickInterval: Duration = .milliseconds(100)
    public var raft = RaftOptions()
    /// How long `propose` waits for its result before answering `timedOut`.
    public var proposalTimeout: Duration = .seconds(5)
    /// A proposal that could not be offered to any leader for this long is answered `refused(.noLeader)`
    /// (it was never handed to a leader, so it certainly did not apply): a member that knows no leader — an
    /// election, or just back from a restart — tells its client to retry elsewhere instead of holding it.
    public var noLeaderProposalTimeout: Duration = .seconds(2)
    /// A proposal without a result is offered again after this long (it may have been dropped by a leader
    /// change); the session makes the second offer harmless.
    public var proposalRetryInterval: Duration = .seconds(1)
    /// Proposals waiting for their result at once; beyond it `propose` answers `overloaded`.
    public var maxPendingProposals = 10_000
    /// Of `maxPendingProposals`, the slots only revocations may take (`ProposalLane`); ordinary proposals
    /// always keep at least one.
    public var reservedRevocationProposals = 1_000
    /// Callers of `waitUntilApplied` at once; beyond it they are refused (`ReadError.refused`).
    public var maxAppliedIndexWaiters = 4_096
    /// Applied entries after which an idle client session is forgotten.
    public var sessionExpiryEntries: UInt64 = 1_000_000
    /// Result bytes remembered per session for answering retries.
    public var maxSessionResultBytes = 4_096
    /// A write that failed for want of space (full disk, spent map) is tried again after this long; until
    /// it succeeds the node holds its messages and applies nothing, and resumes by itself once space is
    /// freed (design §9). Other storage failures stop the node.
    public var outOfSpaceRetryInterval: Duration = .seconds(1)
    /// A durable commit (one fsync) slower than this is logged as a warning (at most one line per
    /// `SlowFsyncWarning.minWarningInterval`). Heartbeat answers and votes wait for the disk too, so commits
    /// near an election timeout cost leadership; 500 ms is far above a healthy SSD's few milliseconds.
    public var slowFsyncWarningMilliseconds = 500
    /// Snapshot streaming bounds (when to take a snapshot is `raft.snapshotThresholdEntries`).
    public var snapshots = SnapshotTransferOptions()
    /// A snapshot rewrites the whole state, so its cost grows with the state while the entry threshold does
    /// not: at a national fleet's size a snapshot every `snapshotThresholdEntries` would run back to back
    /// (disk, a core, and a long LMDB read that keeps freed pages from reuse). After a snapshot that took
    /// `t`, the next waits until snapshots have used at most this share of the time since — 10 % waits 9 t.
    public var snapshotMaxDutyPercent = 10
    /// … but never past this many applied entries since the latest snapshot: the core holds those entries
    /// in memory, and a restart replays them, so the duty cycle may defer a snapshot only so far.
    public var snapshotForcedAfterEntries = 100_000

    /// A tick that fires later than this share of the (shortest) election timeout is counted and logged:
    /// heartbeats leave on ticks, so a tick this late means the Raft thread was kept from running — request
    /// load must never do that (`RaftExecutor`), and a follower's patience is only an election timeout.
    public var lateTickPercentOfElectionTimeout = 25

    public init() {}

    /// How late a tick may fire before it counts as late (`lateTickPercentOfElectionTimeout`).
    public var lateTickThreshold: Duration {
        tickInterval * raft.electionTimeoutTicks * lateTickPercentOfElectionTimeout / 100
    }

    /// The longest a follower waits before campaigning (the core draws its timeout from
    /// `[electionTimeoutTicks, 2 * electionTimeoutTicks)` ticks): no leader for longer than this means an
    /// election failed, not merely that one is under way.
    public var longestElectionTimeout: Duration { tickInterval * (2 * raft.electionTimeoutTicks) }
}
