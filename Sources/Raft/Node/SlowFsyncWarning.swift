import Logging
import Synchronization

/// Warns when a durable commit (one fsync) takes longer than `RaftNodeOptions.slowFsyncWarningMilliseconds`:
/// every write, heartbeat answer and vote waits for it, so a slow disk shows up as slow writes and, past an
/// election timeout, as lost leadership. At most one line per `minWarningInterval`, carrying how many slow
/// commits it stands for, so a failing disk cannot flood the log.
final class SlowFsyncWarning: Sendable {
    /// Shortest gap between two warnings; slow commits in between are counted into the next one.
    static let minWarningInterval = CountedWarning.minWarningInterval

    private let threshold: Duration
    private let logger: Logger
    private let state = Mutex(CountedWarning())

    init(thresholdMilliseconds: Int, logger: Logger) {
        threshold = .milliseconds(thresholdMilliseconds)
        self.logger = logger
    }

    /// Called on the storage writer thread after each commit.
    func committed(duration: Duration, now: ContinuousClock.Instant = .now) {
        guard duration > threshold else { return }
        let slowCommits = state.withLock { $0.occurred(now: now) }
        guard let slowCommits else { return }
        logger.warning(
            "slow fsync: a durable commit took longer than the warning threshold; the disk is slowing writes and heartbeats",
            metadata: [
                "durationMilliseconds": "\(duration.wholeMilliseconds)",
                "thresholdMilliseconds": "\(threshold.wholeMilliseconds)",
                "slowCommits": "\(slowCommits)",
            ])
    }
}

extension Duration {
    /// Whole milliseconds (rounded down), for log lines.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
