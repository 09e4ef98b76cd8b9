import RaftCore

/// Why `RaftNode.propose` did not return a result.
public enum ProposeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The core refused at once (no leader, too many uncommitted bytes, payload too large).
    case refused(ProposalError)
    /// No result within the proposal timeout. The command may or may not have been applied; proposing it
    /// again is safe only with the same request id (it will not apply twice).
    case timedOut
    /// The session expired before the command was applied; the outcome of earlier attempts is unknown.
    case sessionExpired
    /// The sequence number is older than the session's last applied one.
    case staleSequence
    /// Too many proposals are waiting for their result (`maxPendingProposals`); retry later.
    case overloaded(limit: Int)
    /// The node is stopped (shut down, or stopped itself after a storage failure).
    case stopped

    public var description: String {
        switch self {
        case .refused(let error): "proposal refused: \(error)"
        case .timedOut: "no result within the proposal timeout; the outcome is unknown"
        case .sessionExpired: "the client session expired; the outcome of the command is unknown"
        case .staleSequence: "the request is older than the session's last applied request"
        case .overloaded(let limit): "\(limit) proposals already wait for results; retry later"
        case .stopped: "the node is stopped"
        }
    }
}
