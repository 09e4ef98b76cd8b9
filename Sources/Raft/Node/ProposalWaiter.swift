import RaftCore

/// Who is waiting for an entry to be applied: a command's proposer, or a session registration.
enum WaiterKey: Hashable, Sendable {
    case command(RequestID)
    case registration(nonce: UInt64)
}

/// One proposal waiting for its outcome. The proposal is offered to the core again at `retryAt` until
/// it is applied or `deadline` passes; the session deduplicates the extra offers.
struct ProposalWaiter {
    let continuation: CheckedContinuation<(result: [UInt8], index: LogIndex), any Error>
    let payload: [UInt8]
    let deadline: ContinuousClock.Instant
    /// Still never offered at this time: answered `refused(.noLeader)` (see `noLeaderProposalTimeout`).
    let noLeaderDeadline: ContinuousClock.Instant
    /// When to offer the proposal (again). `nil` while an offer is outstanding and not yet due for retry.
    var retryAt: ContinuousClock.Instant
    /// Offers made so far. After exactly one, a `sessionExpired` refusal proves the command was not
    /// applied, so it can be retried under a new session.
    var offers = 0
}
