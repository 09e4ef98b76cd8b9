import RaftCore

/// What applying one normal entry meant for whoever proposed it.
enum ApplyOutcome: Sendable, Equatable {
    case sessionRegistered(nonce: UInt64, session: LogIndex)
    case command(RequestID, CommandOutcome)
}

/// The answer to a proposed command.
enum CommandOutcome: Sendable, Equatable {
    /// Applied at `index` with `result` — now, or before (a retried duplicate answered from the session).
    case applied(result: [UInt8], index: LogIndex)
    /// Refused without applying: the session is unknown or the sequence is older than its last.
    case refused(ProposeError)
}
