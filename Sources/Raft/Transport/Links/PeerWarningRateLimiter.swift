/// Bounds the warning lines about refused or broken connections. Anyone who can reach the port can cause
/// them, so without a bound a flood of connections becomes a flood of log lines. Only lines are dropped —
/// the counters in `PeerTransportStatus` stay exact — and the next line admitted says how many were.
struct PeerWarningRateLimiter {
    let maxWarningsPerSecond: Int
    private var windowStart: ContinuousClock.Instant
    private var admittedInWindow = 0
    private var suppressed = 0

    init(maxWarningsPerSecond: Int, now: ContinuousClock.Instant) {
        precondition(maxWarningsPerSecond >= 1, "the warning rate must allow at least one line a second")
        self.maxWarningsPerSecond = maxWarningsPerSecond
        self.windowStart = now
    }

    /// Whether a line may be written now, and if so how many were suppressed before it.
    mutating func admit(now: ContinuousClock.Instant) -> (admitted: Bool, suppressedBefore: Int) {
        if now - windowStart >= .seconds(1) {
            windowStart = now
            admittedInWindow = 0
        }
        guard admittedInWindow < maxWarningsPerSecond else {
            suppressed += 1
            return (false, 0)
        }
        admittedInWindow += 1
        defer { suppressed = 0 }
        return (true, suppressed)
    }
}
