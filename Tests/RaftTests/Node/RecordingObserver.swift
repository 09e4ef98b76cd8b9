import RaftCore
import RaftNode
import Synchronization

/// Counts what a node reports to its `RaftNodeObserver`, for tests of the runtime's events.
final class RecordingObserver: RaftNodeObserver {
    struct Counts: Sendable, Equatable {
        var storageCommits = 0
        var appliedEntries = 0
        var proposalsCommitted = 0
        var proposalsFailed = 0
        var electionsStarted = 0
        var leaders: [NodeID] = []
        var ticks = 0
        var lateTicks = 0
        var worstTickLateness: Duration = .zero
    }

    private let state = Mutex(Counts())
    var counts: Counts { state.withLock { $0 } }

    func storageCommitted(duration: Duration) { state.withLock { $0.storageCommits += 1 } }
    func applied(entries: Int, duration: Duration) { state.withLock { $0.appliedEntries += entries } }
    func proposalFinished(committed: Bool, duration: Duration) {
        state.withLock { counts in
            if committed { counts.proposalsCommitted += 1 } else { counts.proposalsFailed += 1 }
        }
    }
    func electionStarted(term: Term) { state.withLock { $0.electionsStarted += 1 } }
    func leaderChanged(to leader: NodeID, term: Term) { state.withLock { $0.leaders.append(leader) } }
    func ticked(lateness: Duration, late: Bool) {
        state.withLock {
            $0.ticks += 1
            if late { $0.lateTicks += 1 }
            $0.worstTickLateness = max($0.worstTickLateness, lateness)
        }
    }
}
