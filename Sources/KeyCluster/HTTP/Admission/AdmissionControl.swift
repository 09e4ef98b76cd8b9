import Prometheus
import Synchronization

/// Counts requests in flight per class and refuses one that would exceed its class's budget. Shared by all
/// connections of a member; each admitted request must be released exactly once.
final class AdmissionControl: Sendable {
    let limits: AdmissionLimits
    private let inFlight = Mutex<[RequestClass: Int]>([:])
    private let inFlightGauges: [RequestClass: Gauge]
    private let rejections: [RequestClass: Counter]

    init(limits: AdmissionLimits, registry: PrometheusCollectorRegistry) {
        precondition(limits.refusal == nil, "admission limits are validated with the configuration")
        self.limits = limits
        var gauges: [RequestClass: Gauge] = [:]
        var counters: [RequestClass: Counter] = [:]
        for requestClass in RequestClass.allCases {
            let labels = [("class", requestClass.rawValue)]
            gauges[requestClass] = registry.makeGauge(
                descriptor: .init(
                    namespace: "keycluster", subsystem: "admission", metricName: "in_flight", unitName: "requests",
                    helpText: "Requests being answered, by admission class"),
                labels: labels)
            counters[requestClass] = registry.makeCounter(
                descriptor: .init(
                    namespace: "keycluster", subsystem: "admission", metricName: "rejected", unitName: "total",
                    helpText: "Requests refused with 429 because their class's in-flight budget was full"),
                labels: labels)
        }
        inFlightGauges = gauges
        rejections = counters
    }

    /// Takes a slot of `requestClass`'s budget; false (and counted) when the budget is full.
    func admit(_ requestClass: RequestClass) -> Bool {
        let budget = limits.budget(of: requestClass)
        let admitted: Int? = inFlight.withLock { inFlight in
            let current = inFlight[requestClass, default: 0]
            guard current < budget else { return nil }
            inFlight[requestClass] = current + 1
            return current + 1
        }
        guard let admitted else {
            rejections[requestClass]?.increment()
            return false
        }
        inFlightGauges[requestClass]?.set(Double(admitted))
        return true
    }

    func release(_ requestClass: RequestClass) {
        let remaining = inFlight.withLock { inFlight in
            let current = inFlight[requestClass, default: 0]
            precondition(current > 0, "released a \(requestClass) slot that was never admitted")
            inFlight[requestClass] = current - 1
            return current - 1
        }
        inFlightGauges[requestClass]?.set(Double(remaining))
    }
}
