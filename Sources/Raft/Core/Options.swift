/// Tunables of one member. Every queue and batch the core builds is bounded by one of these.
public struct RaftOptions: Sendable, Equatable {
    /// A follower that hears nothing from a leader for a random time in
    /// `[electionTimeoutTicks, 2 * electionTimeoutTicks)` starts a (pre-)election. Also the window of
    /// CheckQuorum and of leader stickiness.
    public var electionTimeoutTicks: Int = 10
    /// How often a leader asserts itself; must be well below the election timeout.
    public var heartbeatIntervalTicks: Int = 1
    /// Append messages a leader keeps in flight to one follower before waiting for acknowledgements.
    public var maxInflightMessages: Int = 64
    /// Entry bytes a leader keeps in flight to one follower before waiting for acknowledgements.
    public var maxInflightBytes: Int = 4 << 20
    /// Entry bytes per append message (at least one entry is always sent so nothing gets stuck).
    /// Also the largest payload a proposal may carry.
    public var maxMessageBytes: Int = 1 << 20
    /// Entries per append message.
    public var maxEntriesPerMessage: Int = 512
    /// Payload bytes a leader accepts into its log before they commit; beyond it proposals are refused
    /// so a slow quorum pushes back on clients instead of growing memory without bound.
    public var maxUncommittedBytes: Int = 16 << 20
    /// Entry bytes handed to the state machine per `Ready`, so one Ready never stalls the runtime.
    public var maxReadyApplyBytes: Int = 8 << 20
    /// Applied entries since the last snapshot after which `shouldSnapshot` says the runtime should take one.
    public var snapshotThresholdEntries: Int = 10_000
    /// Entries kept before a snapshot's index when compacting, so a follower a little behind still
    /// catches up from the log instead of needing the whole snapshot — whose transfer and install grow
    /// with the state. 10 000 covers a member restarted after several seconds at a few thousand writes/s
    /// (a rolling upgrade under load), for about 10 MB of log held in memory.
    public var retainedEntriesForSlowFollowers: Int = 10_000
    /// A leader compacts no further than a follower that is catching up needs (one being sent a snapshot,
    /// or heard from recently), but keeps at most this many entries beyond `retainedEntriesForSlowFollowers`
    /// for it, so a follower that never finishes cannot hold the log without bound.
    public var maxRetainedEntriesForCatchUp: Int = 50_000
    /// Ticks a leader waits for a follower to report a sent snapshot installed before it asks the runtime
    /// again. It counts from the last sign of progress: the runtime restarts the count on every tick while
    /// it streams and once when the last chunk is sent (`snapshotTransferProgressing`), so this bounds the
    /// wait after a lost transfer or a follower that never installs, not the size of a state.
    public var snapshotTimeoutTicks: Int = 100
    /// A learner is promoted only when its log is within this many entries of the leader's last index.
    public var maxPromotionLagEntries: Int = 100
    /// ReadIndex reads a member keeps waiting (as leader, its own and its followers'; as follower,
    /// those forwarded to the leader); beyond it `readIndex(context:)` refuses.
    public var maxPendingReads: Int = 4_096
    /// Fast failover: after the leader's connection is lost, the k-th follower by id campaigns after
    /// k × this many ticks (the first at once), so followers do not split the vote. Should exceed two
    /// round trips (a pre-vote and a vote).
    public var failoverStaggerTicks: Int = 1

    public init() {}

    /// Crashes on a configuration that could not work, at construction rather than in production traffic.
    /// Ticks between two freshness probes (`RaftCore+Freshness`): how far behind real time a member's
    /// proof of freshness runs in steady state. Each probe shares a ReadIndex round with client reads.
    public var freshnessProbeIntervalTicks: Int = 1
    /// Freshness probes waiting for an answer at most; none is issued past it (a lost one expires).
    public var maxOutstandingFreshnessProbes: Int = 4

    public func validate() {
        precondition(electionTimeoutTicks >= 2, "electionTimeoutTicks must be at least 2")
        precondition(heartbeatIntervalTicks >= 1, "heartbeatIntervalTicks must be at least 1")
        precondition(
            heartbeatIntervalTicks < electionTimeoutTicks, "heartbeats must come faster than election timeouts")
        precondition(maxInflightMessages >= 1, "maxInflightMessages must be at least 1")
        precondition(maxInflightBytes >= 1, "maxInflightBytes must be at least 1")
        precondition(maxMessageBytes >= Entry.headerBytes, "maxMessageBytes must fit one entry header")
        precondition(maxEntriesPerMessage >= 1, "maxEntriesPerMessage must be at least 1")
        precondition(maxUncommittedBytes >= 1, "maxUncommittedBytes must be at least 1")
        precondition(maxReadyApplyBytes >= 1, "maxReadyApplyBytes must be at least 1")
        precondition(snapshotThresholdEntries >= 1, "snapshotThresholdEntries must be at least 1")
        precondition(retainedEntriesForSlowFollowers >= 0, "retainedEntriesForSlowFollowers must not be negative")
        precondition(
            snapshotTimeoutTicks > heartbeatIntervalTicks, "snapshotTimeoutTicks must exceed the heartbeat interval")
        precondition(maxPromotionLagEntries >= 0, "maxPromotionLagEntries must not be negative")
        precondition(maxPendingReads >= 1, "maxPendingReads must be at least 1")
        precondition(freshnessProbeIntervalTicks >= 1, "freshnessProbeIntervalTicks must be at least 1")
        precondition(maxOutstandingFreshnessProbes >= 1, "maxOutstandingFreshnessProbes must be at least 1")
        precondition(failoverStaggerTicks >= 1, "failoverStaggerTicks must be at least 1")
    }
}
