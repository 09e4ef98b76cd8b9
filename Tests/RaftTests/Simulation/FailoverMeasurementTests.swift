import TestSupport
import Testing

/// Design §3's fast failover, measured: ticks from a leader's crash to a new leader, with and
/// without the transport's connection-loss reports, over the same seeds.
@Suite("Failover measurement")
struct FailoverMeasurementTests {
    static let seeds: ClosedRange<UInt64> = 1...200
    /// Liveness bounds without connection-loss reports, in ticks (election timeout 10, randomized in
    /// [10, 20)). Measured: p90 34.7, p99 56.0; after leaders began sending appends before their own write
    /// completed (which reorders every later event and random draw), p90 32.5, p99 65.7 — the p99 of 200
    /// seeds is the second-worst run, so it moves the most. A fixed timeout (split votes again and again)
    /// measured p90 49.4, p99 79.2: the bounds sit between, so losing the randomization fails here. The
    /// simulator is deterministic, so these figures move only when the code does.
    static let timeoutOnlyP90BoundTicks = 42.0
    static let timeoutOnlyP99BoundTicks = 72.0

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    static func measure(notifications: Bool) throws -> [Double] {
        try seeds.map { seed in
            let simulation = Simulation(seed: seed)
            simulation.failoverNotifications = notifications
            return try simulation.measureFailover()
        }.sorted()
    }

    @Test("connection-loss reports elect a new leader sooner after a leader crash, and stay safe")
    func fastFailoverIsFaster() async throws {
        let (fast, slow) = try await onDedicatedThread {
            (try Self.measure(notifications: true), try Self.measure(notifications: false))
        }
        for (name, ticks) in [("with connection-loss reports", fast), ("election timeout only", slow)] {
            print(
                "Failover \(name): ticks from leader crash to new leader over \(ticks.count) seeds: median \(Self.percentile(ticks, 0.5)), p90 \(Self.percentile(ticks, 0.9)), p99 \(Self.percentile(ticks, 0.99)), max \(ticks.last ?? 0)"
            )
        }
        #expect(Self.percentile(fast, 0.5) < Self.percentile(slow, 0.5))
        #expect(Self.percentile(fast, 0.9) < Self.percentile(slow, 0.9))
        #expect(Self.percentile(slow, 0.9) <= Self.timeoutOnlyP90BoundTicks, "p90 ticks to a new leader")
        #expect(Self.percentile(slow, 0.99) <= Self.timeoutOnlyP99BoundTicks, "p99 ticks to a new leader")
    }
}
