import RaftNode

extension ProposeError {
    /// How a failed write is told to an HTTP client: overload as 429, no quorum or unknown outcome as 503,
    /// both with `Retry-After`, so clients back off instead of hammering (design §8).
    var problem: Problem {
        switch self {
        case .refused(.noLeader):
            Problem(
                "no-leader", status: .serviceUnavailable, title: "No leader is known; an election is in progress",
                retryAfterSeconds: 1)
        case .refused(.transferInProgress):
            Problem(
                "leadership-transfer", status: .serviceUnavailable, title: "Leadership is being handed over",
                retryAfterSeconds: 1)
        case .refused(.uncommittedBytesLimitExceeded), .overloaded:
            Problem(
                "overloaded", status: .tooManyRequests, title: "Too many writes are in flight", detail: description,
                retryAfterSeconds: 1)
        case .refused(.payloadTooLarge):
            Problem(
                "too-large", status: .contentTooLarge, title: "The command is too large to replicate",
                detail: description)
        case .timedOut, .sessionExpired:
            Problem(
                "outcome-unknown", status: .serviceUnavailable, title: "The write may or may not have been applied",
                detail: description, retryAfterSeconds: 1)
        case .staleSequence:
            Problem("stale-request", status: .conflict, title: "The request was superseded", detail: description)
        case .stopped:
            Problem("node-stopped", status: .serviceUnavailable, title: "This node is stopped", retryAfterSeconds: 1)
        }
    }
}
