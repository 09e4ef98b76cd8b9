import NIOCore
import Prometheus
import Synchronization

/// The address a client connection comes from, without its port: the unit of per-source caps and shares.
enum SourceAddress {
    static func of(_ channel: any Channel) -> String {
        channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// The client connections of a member, in two stages (see `AdmissionLimits`): handshaking connections hold one
/// of `maxHandshakingConnections` slots — when they are all taken, the connection that has waited longest is
/// closed to make room — and count toward `maxConnections` only once their TLS handshake completes. Every
/// connection counts toward its source address's `maxConnectionsPerSource` from accept to close.
///
/// Shared by the connections of every event loop; each admitted connection is closed exactly once.
final class ClientConnectionTable: Sendable {
    /// One admitted connection.
    struct Ticket: Hashable, Sendable {
        fileprivate let id: UInt64
        let source: String
    }

    /// Why the member closed a client connection (the `reason` label of the metric).
    enum CloseReason: String, CaseIterable, Sendable {
        /// Its source address already had `maxConnectionsPerSource` connections.
        case perSourceCap = "per_source_cap"
        /// Its handshake completed with `maxConnections` established.
        case maxConnections = "max_connections"
        /// It was the oldest handshaking connection when a new one needed its slot.
        case handshakeEvicted = "handshake_evicted"
        case handshakeTimeout = "handshake_timeout"
        case headerTimeout = "header_timeout"
        case bodyTimeout = "body_timeout"
    }

    /// What `open` decided.
    enum Opening {
        /// Admitted; `evicted` closes the connection whose handshake slot it took (call it outside any lock).
        case admitted(Ticket, evicted: (@Sendable () -> Void)?)
        /// Refused (and counted): close it at once.
        case refused
    }

    private struct State {
        var nextID: UInt64 = 0
        /// Handshaking connections by ticket id (ids grow, so the smallest is the oldest), with how to close each.
        var handshaking: [UInt64: @Sendable () -> Void] = [:]
        var established: Set<UInt64> = []
        var bySource: [String: Int] = [:]
    }

    let limits: AdmissionLimits
    private let state = Mutex(State())
    private let establishedGauge: Gauge
    private let handshakingGauge: Gauge
    private let closed: [CloseReason: Counter]

    init(limits: AdmissionLimits, registry: PrometheusCollectorRegistry) {
        precondition(limits.refusal == nil, "admission limits are validated with the configuration")
        self.limits = limits
        establishedGauge = registry.makeGauge(
            descriptor: .init(
                namespace: "keycluster", subsystem: "http", metricName: "connections", unitName: "open",
                helpText: "Client connections open with their TLS handshake completed"))
        handshakingGauge = registry.makeGauge(
            descriptor: .init(
                namespace: "keycluster", subsystem: "http", metricName: "connections", unitName: "handshaking",
                helpText: "Client connections open whose TLS handshake has not completed"))
        var counters: [CloseReason: Counter] = [:]
        for reason in CloseReason.allCases {
            counters[reason] = registry.makeCounter(
                descriptor: .init(
                    namespace: "keycluster", subsystem: "http", metricName: "connections_closed", unitName: "total",
                    helpText: "Client connections the member closed because of a connection limit or deadline"),
                labels: [("reason", reason.rawValue)])
        }
        closed = counters
    }

    /// A connection from `source` was accepted; `close` closes it (from any thread).
    func open(from source: String, close: @escaping @Sendable () -> Void) -> Opening {
        let opening: Opening = withState { state in
            let fromSource = state.bySource[source, default: 0]
            guard fromSource < limits.maxConnectionsPerSource else { return .refused }
            var evicted: (@Sendable () -> Void)?
            if state.handshaking.count >= limits.maxHandshakingConnections, let oldest = state.handshaking.keys.min() {
                evicted = state.handshaking.removeValue(forKey: oldest)
            }
            state.nextID += 1
            state.handshaking[state.nextID] = close
            state.bySource[source] = fromSource + 1
            return .admitted(Ticket(id: state.nextID, source: source), evicted: evicted)
        }
        switch opening {
        case .refused: record(.perSourceCap)
        case .admitted(_, let evicted): if evicted != nil { record(.handshakeEvicted) }
        }
        return opening
    }

    /// The connection's TLS handshake completed: true when it may go on, false (counted) when it must be
    /// closed — `maxConnections` are established, or its handshake slot was given to a newer connection.
    func handshakeCompleted(_ ticket: Ticket) -> Bool {
        let outcome: CloseReason? = withState { state in
            guard state.handshaking.removeValue(forKey: ticket.id) != nil else { return .handshakeEvicted }
            guard state.established.count < limits.maxConnections else { return .maxConnections }
            state.established.insert(ticket.id)
            return nil
        }
        if outcome == .maxConnections { record(.maxConnections) }
        return outcome == nil
    }

    /// The connection closed, for whatever reason.
    func closed(_ ticket: Ticket) {
        withState { state in
            if state.handshaking.removeValue(forKey: ticket.id) == nil { state.established.remove(ticket.id) }
            let fromSource = state.bySource[ticket.source, default: 0]
            assert(fromSource > 0, "closed a connection from \(ticket.source) that was never opened")
            state.bySource[ticket.source] = fromSource > 1 ? fromSource - 1 : nil
        }
    }

    /// Counts a connection the member closed for `reason`.
    func record(_ reason: CloseReason) {
        closed[reason]?.increment()
    }

    /// Connections handshaking, established, and open from `source`.
    func counts(from source: String) -> (handshaking: Int, established: Int, fromSource: Int) {
        state.withLock { ($0.handshaking.count, $0.established.count, $0.bySource[source, default: 0]) }
    }

    /// Runs `change` on the state and sets the gauges from its result, under the lock (so they never go back).
    private func withState<Result>(_ change: (inout State) -> Result) -> Result {
        state.withLock { state in
            let result = change(&state)
            handshakingGauge.set(Double(state.handshaking.count))
            establishedGauge.set(Double(state.established.count))
            return result
        }
    }
}
