/// What happened to a proposal the core accepted.
public enum ProposalOutcome: Sendable, Equatable {
    /// Appended to this leader's log at `position`; it commits when a quorum holds it. The runtime
    /// learns the outcome by watching for `position` among committed entries (or a different term
    /// there, meaning it was lost to a new leader).
    case appended(LogPosition)
    /// Sent to the leader this member knows; the leader may still drop it, so the client retries.
    case forwarded(to: NodeID)
}

/// Why the core refused a proposal. Refusals are immediate and clear, never silent queueing.
public enum ProposalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No leader is known (an election is in progress); retry after a short backoff.
    case noLeader
    /// Accepting it would put more than `maxUncommittedBytes` of uncommitted payload in the leader's log.
    case uncommittedBytesLimitExceeded(limitBytes: Int)
    /// The payload is larger than one append message may carry (`maxMessageBytes`).
    case payloadTooLarge(payloadBytes: Int, limitBytes: Int)
    /// The leader is handing over to `to` (`transferLeadership(to:)`); retry on the new leader.
    case transferInProgress(to: NodeID)

    public var description: String {
        switch self {
        case .noLeader: "no leader is known; retry later"
        case .uncommittedBytesLimitExceeded(let limit): "more than \(limit) uncommitted bytes; retry later"
        case .payloadTooLarge(let size, let limit): "payload of \(size) bytes exceeds the \(limit)-byte limit"
        case .transferInProgress(let target): "leadership is moving to \(target); retry there"
        }
    }
}
