import Synchronization
import TestSupport

/// One client operation of the partition suite, as the client saw it (Jepsen's invoke/ok/fail/info):
/// times are offsets on this process's monotonic clock from the start of the run.
struct PartitionEvent: Sendable, CustomStringConvertible {
    enum Operation: String, Sendable {
        case grant, revoke, unlock
    }

    enum Outcome: Sendable, Equatable {
        /// A write answered 2xx at `revision`.
        case acknowledged(revision: UInt64)
        /// A 4xx answer: a write that did not apply, an unlock that was denied.
        case refused(String)
        /// No answer (unreachable, timeout, 5xx, retry budget spent): a write may or may not have applied;
        /// an unlock got no token.
        case unknown(String)
        /// An unlock token, decided strict (ReadIndex) or bounded (local state ≤ maxStaleness old).
        case authorized(strict: Bool)
        /// An unlock refused (403) at a read point, strict or bounded — the problem document says which.
        case denied(strict: Bool)
    }

    var key: String
    var operation: Operation
    var invokedAt: Duration
    var returnedAt: Duration?
    var outcome: Outcome
    /// The member that answered, when one did.
    var member: UInt64?
    /// Sent to one returning member directly (not through the failover client): such a member may rightly
    /// answer 503 while it catches up, so these do not count in the success rate of a window.
    var isProbe = false

    var description: String {
        let returned = returnedAt.map { "\($0.milliseconds) ms" } ?? "∞"
        return "\(operation.rawValue) \(key.prefix(12)) [\(invokedAt.milliseconds) ms, \(returned)] → \(outcome)"
            + (member.map { " via \($0)" } ?? "")
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
    var nanoseconds: Int { Int(components.seconds) * 1_000_000_000 + Int(components.attoseconds / 1_000_000_000) }
}

/// The history every client appends to, and the nemesis's fault windows.
final class PartitionHistory: Sendable {
    struct Phase: Sendable {
        var name: String
        var start: Duration
        var end: Duration
    }

    let start = ContinuousClock.now
    private let state = Mutex<(events: [PartitionEvent], phases: [Phase])>(([], []))

    var now: Duration { ContinuousClock.now - start }

    func record(_ event: PartitionEvent) { state.withLock { $0.events.append(event) } }
    func record(_ phase: Phase) { state.withLock { $0.phases.append(phase) } }

    var events: [PartitionEvent] { state.withLock { $0.events } }
    var phases: [Phase] { state.withLock { $0.phases } }
}
