import Logging

/// Logs ticks that fired late (the Raft thread was kept from running), at most one line per
/// `minWarningInterval`, with how many were late since the last line: a starved thread would otherwise
/// write a line every tick, ten a second, exactly when the machine has least to spare.
struct LateTickWarning {
    static let minWarningInterval: Duration = .seconds(10)

    private var lastWarning: ContinuousClock.Instant?
    private var lateSinceWarning = 0

    mutating func warn(lateness: Duration, threshold: Duration, logger: Logger, now: ContinuousClock.Instant) {
        lateSinceWarning += 1
        if let lastWarning, now - lastWarning < Self.minWarningInterval { return }
        logger.warning(
            "a Raft tick fired late: heartbeats and election timers were held back (CPU starvation, a frozen process, or a blocked Raft thread)",
            metadata: [
                "lateMilliseconds": "\(Self.wholeMilliseconds(lateness))", "thresholdMilliseconds": "\(Self.wholeMilliseconds(threshold))",
                "lateTicksSinceLastWarning": "\(lateSinceWarning)",
            ])
        lastWarning = now
        lateSinceWarning = 0
    }

    static func wholeMilliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
