import RaftCore

/// Why `RaftNode.readIndex` did not return a read point. All are retryable, here or on another member.
public enum ReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The core refused at once (no leader known, too many reads pending).
    case refused(ReadIndexError)
    /// The core gave up (leadership changed, leader refused, no answer in time).
    case failed(ReadFailure.Reason)
    /// No read point within the caller's timeout.
    case timedOut
    /// `maxAppliedIndexWaiters` callers already wait for the applied index on this member.
    case tooManyWaiters(limit: Int)
    case stopped

    public var description: String {
        switch self {
        case .refused(let error): "read refused: \(error)"
        case .failed(let reason): "read failed: \(reason)"
        case .timedOut: "no read point within the timeout"
        case .tooManyWaiters(let limit): "\(limit) callers already wait for this member to apply; retry later"
        case .stopped: "the node is stopped"
        }
    }
}

/// A linearizable read waiting for its read index, then for the state machine to apply through it.
struct ReadWaiter {
    let continuation: CheckedContinuation<LogIndex, any Error>
    let deadline: ContinuousClock.Instant
    /// Set once the core released the read: answer when the applied index reaches it.
    var index: LogIndex?
}
