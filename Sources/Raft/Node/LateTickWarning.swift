import Logging

/// Logs ticks that fired late (the Raft thread was kept from running) by `CountedWarning`'s rule: a starved
/// thread would otherwise write a line every tick, ten a second, exactly when the machine has least to spare.
struct LateTickWarning {
    private var counted = CountedWarning()

    mutating func warn(lateness: Duration, threshold: Duration, logger: Logger, now: ContinuousClock.Instant) {
        guard let lateTicks = counted.occurred(now: now) else { return }
        logger.warning(
            "a Raft tick fired late: heartbeats and election timers were held back (CPU starvation, a frozen process, or a blocked Raft thread)",
            metadata: [
                "lateMilliseconds": "\(lateness.wholeMilliseconds)",
                "thresholdMilliseconds": "\(threshold.wholeMilliseconds)",
                "lateTicksSinceLastWarning": "\(lateTicks)",
            ])
    }
}
