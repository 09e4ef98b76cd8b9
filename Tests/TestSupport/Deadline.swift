/// A condition a test waited for did not come true in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var description: String { "\(what) did not happen within \(seconds) s" }

    public init(what: String, seconds: Double) {
        self.what = what
        self.seconds = seconds
    }
}

/// How often `waitUntil` re-checks its condition.
public let conditionPollIntervalMilliseconds = 5

/// Waits until `condition` holds, re-checking it every few milliseconds; throws `DeadlineExceeded` after
/// `deadlineSeconds` instead of hanging. This is how tests synchronise — never with a bare sleep.
public func waitUntil(
    _ what: String = "condition", deadlineSeconds: Double = 30, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(deadlineSeconds * 1_000))
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: what, seconds: deadlineSeconds) }
        try await Task.sleep(for: .milliseconds(conditionPollIntervalMilliseconds))
    }
}
