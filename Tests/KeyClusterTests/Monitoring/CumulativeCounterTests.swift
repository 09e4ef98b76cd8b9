import Prometheus
import Testing

@testable import KeyCluster

@Suite("Counters fed from running totals")
struct CumulativeCounterTests {
    @Test("each poll adds the growth of the total; a total that restarts from zero never takes the counter back")
    func onlyGrows() {
        let registry = PrometheusCollectorRegistry()
        let counter = CumulativeCounter(
            registry.makeCounter(descriptor: .keycluster("test", "events", unit: "total", help: "Test events")))
        counter.advance(to: 5)
        counter.advance(to: 5)
        counter.advance(to: 2)
        counter.advance(to: 6)
        let exposition = registry.emitToString()
        #expect(exposition.contains("# TYPE keycluster_test_events_total counter"))
        #expect(
            exposition.contains("keycluster_test_events_total 9"), "5, then +0, reset to 2 (+0), then +4: \(exposition)"
        )
    }
}
