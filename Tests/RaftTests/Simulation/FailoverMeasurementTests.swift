import Raft
import TestSupport
import Testing

/// Design §3's fast failover, measured: ticks from a leader's crash to a new leader, with and
/// without the transport's connection-loss reports, over the same seeds.
@Suite("Failover measurement")
struct FailoverMeasurementTests {
    static let seeds: ClosedRange<UInt64> = 1...200

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
        let (fast, slow) = try await onDedicatedThread { (try Self.measure(notifications: true), try Self.measure(notifications: false)) }
        for (name, ticks) in [("with connection-loss reports", fast), ("election timeout only", slow)] {
            print("Failover \(name): ticks from leader crash to new leader over \(ticks.count) seeds: median \(Self.percentile(ticks, 0.5)), p90 \(Self.percentile(ticks, 0.9)), p99 \(Self.percentile(ticks, 0.99)), max \(ticks.last ?? 0)")
        }
        #expect(Self.percentile(fast, 0.5) < Self.percentile(slow, 0.5))
        #expect(Self.percentile(fast, 0.9) < Self.percentile(slow, 0.9))
    }
}
