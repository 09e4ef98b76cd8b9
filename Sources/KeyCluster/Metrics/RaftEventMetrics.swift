import Prometheus
import RaftCore
import RaftNode

/// The node's events as counters and latency histograms, recorded the moment they happen (`RaftNodeObserver`):
/// each durable commit's fsync, each batch applied, each proposal answered, each election and leader change.
struct RaftEventMetrics: RaftNodeObserver {
    private let fsyncDuration: DurationHistogram
    private let applyDuration: DurationHistogram
    private let commitDuration: DurationHistogram
    private let proposalsCommitted: Counter
    private let proposalsFailed: Counter
    private let electionsStarted: Counter
    private let leaderChanges: Counter
    private let tickLateness: DurationHistogram
    private let lateTicks: Counter

    init(registry: PrometheusCollectorRegistry) {
        fsyncDuration = registry.makeDurationHistogram(
            descriptor: .keycluster(
                "storage", "fsync_duration", unit: "seconds",
                help: "Durable LMDB commits of a write batch (one fsync each), by duration"),
            buckets: LatencyBuckets.storage)
        applyDuration = registry.makeDurationHistogram(
            descriptor: .keycluster(
                "raft", "apply_duration", unit: "seconds",
                help: "Time to apply a batch of committed entries to the state machine, inside its write transaction"),
            buckets: LatencyBuckets.storage)
        commitDuration = registry.makeDurationHistogram(
            descriptor: .keycluster(
                "raft", "commit_duration", unit: "seconds",
                help: "Proposals from submission until committed by a quorum and applied here (this member's writes)"),
            buckets: LatencyBuckets.request)
        let proposals = { (outcome: String) in
            registry.makeCounter(
                descriptor: .keycluster(
                    "raft", "proposals", unit: "total",
                    help: "Proposals this member submitted, by outcome (committed or failed)"),
                labels: [("outcome", outcome)])
        }
        proposalsCommitted = proposals("committed")
        proposalsFailed = proposals("failed")
        electionsStarted = registry.makeCounter(
            descriptor: .keycluster(
                "raft", "elections_started", unit: "total", help: "Elections this member started as a candidate"))
        leaderChanges = registry.makeCounter(
            descriptor: .keycluster(
                "raft", "leader_changes", unit: "total",
                help: "Leaders this member saw elected (a new leader or a new term), itself included"))
        tickLateness = registry.makeDurationHistogram(
            descriptor: .keycluster(
                "raft", "tick_lateness", unit: "seconds",
                help:
                    "How long after it was due each Raft tick fired (heartbeats leave on ticks; the Raft thread's starvation shows here)"
            ),
            buckets: LatencyBuckets.storage)
        lateTicks = registry.makeCounter(
            descriptor: .keycluster(
                "raft", "late_ticks", unit: "total",
                help: "Raft ticks that fired later than lateTickPercentOfElectionTimeout of the election timeout"))
    }

    func storageCommitted(duration: Duration) { fsyncDuration.record(duration) }

    func applied(entries: Int, duration: Duration) { applyDuration.record(duration) }

    func proposalFinished(committed: Bool, duration: Duration) {
        if committed {
            proposalsCommitted.increment()
            commitDuration.record(duration)
        } else {
            proposalsFailed.increment()
        }
    }

    func electionStarted(term: Term) { electionsStarted.increment() }

    func leaderChanged(to leader: NodeID, term: Term) { leaderChanges.increment() }

    func ticked(lateness: Duration, late: Bool) {
        tickLateness.record(max(lateness, .zero))
        if late { lateTicks.increment() }
    }
}
