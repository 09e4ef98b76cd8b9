import Synchronization

/// Running totals since this process started, for rates on the status page (`/v1/cluster/status`): a
/// reader takes two samples and divides by the time between them.
package final class ServiceCounters: Sendable {
    private let unlocks = Atomic<UInt64>(0)
    private let writes = Atomic<UInt64>(0)

    package init() {}

    /// Unlock (and other vehicle command) requests decided here: a token or a refusal of the key.
    var unlocksDecided: UInt64 { unlocks.load(ordering: .relaxed) }
    /// Commands the state machine applied here (every replicated write, refused ones included). An apply
    /// retried after a full disk counts again: a rate, not an audit.
    var writesApplied: UInt64 { writes.load(ordering: .relaxed) }

    func unlockDecided() { unlocks.add(1, ordering: .relaxed) }
    func writeApplied() { writes.add(1, ordering: .relaxed) }
}
