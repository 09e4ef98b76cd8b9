import Logging
import Prometheus
import RaftNode
import Synchronization

/// Counts and reports reads that asked for a strict read point and were answered from bounded state
/// because no leader confirmed one within `ReadPath.strictReadTimeout` (design §6, issue 17): a loaded
/// or partitioned cluster must not weaken its answers quietly. `keycluster_read_strict_fallbacks_total`
/// shows the rate; a warning line (`CountedWarning`: at most one per 10 s, with the count since the last)
/// says it in the log.
final class StrictFallbacks: Sendable {
    private let counter: Counter
    private let logger: Logger
    private let warning = Mutex(CountedWarning())

    init(registry: PrometheusCollectorRegistry, logger: Logger) {
        counter = registry.makeCounter(
            descriptor: .keycluster(
                "read", "strict_fallbacks", unit: "total",
                help:
                    "Reads that asked for a strict read point and were answered bounded (no leader confirmed one in time)"
            ))
        self.logger = logger
    }

    /// A read wanted strict and got bounded.
    func fellBack() {
        counter.increment()
        let now = ContinuousClock.now
        let report = warning.withLock { $0.occurred(now: now) }
        if let report {
            logger.warning(
                "answered strict reads from bounded state: no strict read point in time (the leader is slow or unreachable, or this member has too many reads pending)",
                metadata: [
                    "readsSinceLastWarning": "\(report)",
                    "strictTimeoutMilliseconds": "\(ReadPath.strictReadTimeoutMilliseconds)",
                ])
        }
    }
}
