import Logging
import Prometheus
import Synchronization

/// Counts and reports reads that asked for a strict read point and were answered from bounded state
/// because no leader confirmed one within `ReadPath.strictReadTimeout` (design §6, issue 17): a loaded
/// or partitioned cluster must not weaken its answers quietly. `keycluster_read_strict_fallbacks_total`
/// shows the rate; a warning line (at most one per `minWarningInterval`, with the count since the last)
/// says it in the log.
final class StrictFallbacks: Sendable {
    static let minWarningInterval: Duration = .seconds(10)

    private let counter: Counter
    private let logger: Logger
    private struct WarningState {
        var lastWarning: ContinuousClock.Instant?
        var sinceWarning = 0
    }
    private let warning = Mutex(WarningState())

    init(registry: PrometheusCollectorRegistry, logger: Logger) {
        counter = registry.makeCounter(
            descriptor: .keycluster(
                "read", "strict_fallbacks", unit: "total",
                help: "Reads that asked for a strict read point and were answered bounded (no leader confirmed one in time)"))
        self.logger = logger
    }

    /// A read wanted strict and got bounded.
    func fellBack() {
        counter.increment()
        let now = ContinuousClock.now
        let report: Int? = warning.withLock { state in
            state.sinceWarning += 1
            if let last = state.lastWarning, now - last < Self.minWarningInterval { return nil }
            state.lastWarning = now
            defer { state.sinceWarning = 0 }
            return state.sinceWarning
        }
        if let report {
            logger.warning(
                "answered strict reads from bounded state: no strict read point in time (the leader is slow or unreachable, or this member has too many reads pending)",
                metadata: ["readsSinceLastWarning": "\(report)", "strictTimeoutMilliseconds": "\(ReadPath.strictReadTimeoutMilliseconds)"])
        }
    }
}
