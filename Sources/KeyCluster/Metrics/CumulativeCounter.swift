import Prometheus
import Synchronization

/// A Prometheus counter fed from a running total kept elsewhere (the storage writer's commits, the peer
/// transport's refusals, the node's snapshot counts), which the metrics loop polls. Each poll adds what the
/// total grew by — a counter is only ever incremented, never set, so `rate()` and `increase()` hold.
final class CumulativeCounter: Sendable {
    private let counter: Counter
    private let counted = Mutex<Double>(0)

    init(_ counter: Counter) {
        self.counter = counter
    }

    /// Adds the growth of `total` since the last call. A smaller total (its source restarted from zero) only
    /// becomes the new base: the counter never goes back.
    func advance(to total: Double) {
        let growth = counted.withLock { counted in
            defer { counted = total }
            return max(0, total - counted)
        }
        if growth > 0 { counter.increment(by: growth) }
    }
}

extension Duration {
    /// This duration in seconds, as Prometheus expresses time.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
