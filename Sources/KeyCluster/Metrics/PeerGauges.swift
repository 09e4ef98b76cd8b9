import Prometheus
import Synchronization

/// One gauge per peer (label `peer`, the member's id) for a figure the metrics loop polls. Peers come and go
/// with membership changes and leadership, so a peer missing from an update loses its series instead of
/// showing its last value for ever.
final class PeerGauges: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// `MetricNameDescriptor` is not `Sendable`: its parts are kept, and it is made again when needed.
    private let subsystem: String
    private let name: String
    private let unit: String
    private let help: String
    private let gauges = Mutex<[UInt64: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry, subsystem: String, name: String, unit: String, help: String) {
        self.registry = registry
        self.subsystem = subsystem
        self.name = name
        self.unit = unit
        self.help = help
    }

    /// Sets each peer's series to its value; removes the series of peers not in `values`.
    func update(_ values: [UInt64: Double]) {
        let (current, removed) = gauges.withLock { gauges in
            let removed = gauges.filter { values[$0.key] == nil }.map(\.value)
            for peer in gauges.keys where values[peer] == nil { gauges[peer] = nil }
            for peer in values.keys where gauges[peer] == nil {
                gauges[peer] = registry.makeGauge(
                    descriptor: .keycluster(subsystem, name, unit: unit, help: help), labels: [("peer", "\(peer)")])
            }
            return (gauges, removed)
        }
        for gauge in removed { registry.unregisterGauge(gauge) }
        for (peer, value) in values { current[peer]?.set(value) }
    }
}
