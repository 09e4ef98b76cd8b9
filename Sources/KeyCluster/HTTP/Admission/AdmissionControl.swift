import Prometheus
import Synchronization

/// Counts requests in flight per class, and per class and source address, and refuses one that would exceed
/// its class's budget or its source's fair share of it. Shared by all connections of a member; each admitted
/// request must be released exactly once, with the same class and source.
final class AdmissionControl: Sendable {
    /// Why a request was not admitted.
    enum Refusal: Error, Equatable, Sendable {
        /// The class's budget is full.
        case budgetFull
        /// The source already holds its share of the class's budget.
        case shareFull
    }

    private struct InFlight {
        var total: [RequestClass: Int] = [:]
        /// Only sources with a request in flight have an entry, so the table is bounded by the budgets.
        var bySource: [RequestClass: [String: Int]] = [:]
    }

    let limits: AdmissionLimits
    private let inFlight = Mutex(InFlight())
    private let inFlightGauges: [RequestClass: Gauge]
    private let rejections: [RequestClass: Counter]
    private let shareRejections: [RequestClass: Counter]

    init(limits: AdmissionLimits, registry: PrometheusCollectorRegistry) {
        precondition(limits.refusal == nil, "admission limits are validated with the configuration")
        self.limits = limits
        var gauges: [RequestClass: Gauge] = [:]
        var counters: [RequestClass: Counter] = [:]
        var shareCounters: [RequestClass: Counter] = [:]
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
            shareCounters[requestClass] = registry.makeCounter(
                descriptor: .init(
                    namespace: "keycluster", subsystem: "admission", metricName: "share_rejected", unitName: "total",
                    helpText:
                        "Requests refused with 429 because their source address held its share of the class's budget"),
                labels: labels)
        }
        inFlightGauges = gauges
        rejections = counters
        shareRejections = shareCounters
    }

    /// Takes a slot of `requestClass`'s budget for `source`; the refusal (counted) when the budget or the
    /// source's share of it is full, else nil.
    func admit(_ requestClass: RequestClass, from source: String) -> Refusal? {
        let budget = limits.budget(of: requestClass)
        let share = limits.share(of: requestClass)
        let outcome: Refusal? = inFlight.withLock { inFlight in
            let current = inFlight.total[requestClass, default: 0]
            guard current < budget else { return .budgetFull }
            let held = inFlight.bySource[requestClass]?[source] ?? 0
            guard held < share else { return .shareFull }
            inFlight.total[requestClass] = current + 1
            inFlight.bySource[requestClass, default: [:]][source] = held + 1
            setGauge(requestClass, to: current + 1)
            return nil
        }
        if let refusal = outcome {
            (refusal == .budgetFull ? rejections : shareRejections)[requestClass]?.increment()
        }
        return outcome
    }

    /// Called with the lock held: set outside it, two admissions on two event loops could set their counts
    /// in the opposite order to the one they were taken in, and the gauge would stay one off until the
    /// next change — the likely cause of a CI run in which in-flight plus refused unlocks never added up
    /// to the requests sent.
    private func setGauge(_ requestClass: RequestClass, to count: Int) {
        inFlightGauges[requestClass]?.set(Double(count))
    }

    /// `admit`, except that a revocation whose own lane is full may take a management-write slot instead:
    /// the lane is small and admitted before any signature is checked, so blocking revocations must cost
    /// an attacker both budgets, never just the cheaper one. Returns the class whose slot is held (release
    /// that one), or the refusal of the request's own class (counted under it).
    func admitHolding(_ requestClass: RequestClass, from source: String) -> Result<RequestClass, Refusal> {
        guard let refusal = admit(requestClass, from: source) else { return .success(requestClass) }
        if requestClass == .revocation, admit(.write, from: source) == nil { return .success(.write) }
        return .failure(refusal)
    }

    func release(_ requestClass: RequestClass, from source: String) {
        inFlight.withLock { inFlight in
            let current = inFlight.total[requestClass, default: 0]
            let held = inFlight.bySource[requestClass]?[source] ?? 0
            precondition(current > 0 && held > 0, "released a \(requestClass) slot that was never admitted")
            inFlight.total[requestClass] = current - 1
            inFlight.bySource[requestClass]?[source] = held > 1 ? held - 1 : nil
            setGauge(requestClass, to: current - 1)
        }
    }
}
