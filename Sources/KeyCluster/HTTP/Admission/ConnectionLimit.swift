import HummingbirdCore
import Prometheus

/// Stops accepting client connections while `maxConnections` are open (the rest wait in the listen
/// backlog, then are refused by the kernel), and reports open connections and each time the limit was hit.
struct ConnectionLimit: AvailableConnectionsDelegate {
    let maxConnections: Int
    private var open = 0
    private let openGauge: Gauge
    private let limitReached: Counter

    init(maxConnections: Int, registry: PrometheusCollectorRegistry) {
        precondition(maxConnections > 0, "at least one connection")
        self.maxConnections = maxConnections
        openGauge = registry.makeGauge(
            descriptor: .init(namespace: "keycluster", subsystem: "http", metricName: "connections", unitName: "open", helpText: "Client connections open"))
        limitReached = registry.makeCounter(
            descriptor: .init(
                namespace: "keycluster", subsystem: "http", metricName: "connection_limit_reached", unitName: "total",
                helpText: "Times the connection limit was reached and new connections had to wait"))
    }

    mutating func connectionOpened() {
        open += 1
        openGauge.set(Double(open))
        if open == maxConnections { limitReached.increment() }
    }

    mutating func connectionClosed() {
        open -= 1
        openGauge.set(Double(open))
    }

    func isAcceptingNewConnections() -> Bool { open < maxConnections }
}
