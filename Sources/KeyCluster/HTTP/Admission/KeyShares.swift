import HTTPTypes
import Hummingbird
import Prometheus
import Synchronization

/// Holds each key id to its fair share of the in-flight budget its requests are admitted under (issue 12
/// item 4, `AdmissionLimits.maxKeySharePercent`). The per-address share (`AdmissionControl`) cannot see a
/// signing key used from many addresses — each address stays within its own share while together they fill
/// the unlock, write or read budget and every other key holder gets 429.
///
/// A route takes its key's slot once the signature has verified — never before, or anyone could spend
/// another holder's share by naming its key id — and before the request waits (`minRevision`, a read
/// point, a proposal) or spends its nonce, so a request refused here changed nothing and can be sent again
/// as is. The slot is a `KeyShareSlot`, released when the route ends on every path. The bookkeeping is one
/// dictionary update under a lock that is never held across an await; the table has an entry only per key
/// with a request in flight, so it is bounded by the budgets.
final class KeyShares: Sendable {
    /// A key id's requests of one class.
    struct Holder: Hashable, Sendable {
        let requestClass: RequestClass
        let keyID: KeyID
    }

    let limits: AdmissionLimits
    private let inFlight = Mutex([Holder: Int]())
    private let rejections: [RequestClass: Counter]
    /// Keys holding a slot now: back to 0 whenever nothing signed is in flight, or a path leaks slots.
    private let keysGauge: Gauge

    init(limits: AdmissionLimits, registry: PrometheusCollectorRegistry) {
        precondition(limits.refusal == nil, "admission limits are validated with the configuration")
        self.limits = limits
        var counters: [RequestClass: Counter] = [:]
        for requestClass in RequestClass.allCases {
            counters[requestClass] = registry.makeCounter(
                descriptor: .init(
                    namespace: "keycluster", subsystem: "admission", metricName: "key_share_rejected",
                    unitName: "total",
                    helpText:
                        "Signed requests refused with 429 because their key id held its share of the class's budget"),
                labels: [("class", requestClass.rawValue)])
        }
        rejections = counters
        keysGauge = registry.makeGauge(
            descriptor: .init(
                namespace: "keycluster", subsystem: "admission", metricName: "in_flight", unitName: "keys",
                helpText: "Key ids with a verified signed request in flight, all classes together"))
    }

    /// Takes one of `keyID`'s slots of `requestClass`'s budget: true, or false (counted) when the key
    /// already holds its share.
    func admit(_ requestClass: RequestClass, keyID: KeyID) -> Bool {
        let share = limits.keyShare(of: requestClass)
        let holder = Holder(requestClass: requestClass, keyID: keyID)
        let admitted = inFlight.withLock { inFlight in
            let held = inFlight[holder, default: 0]
            guard held < share else { return false }
            inFlight[holder] = held + 1
            // Under the lock, so the gauge never goes back to an older count.
            keysGauge.set(Double(inFlight.count))
            return true
        }
        if !admitted { rejections[requestClass]?.increment() }
        return admitted
    }

    /// Gives back a slot `admit` took.
    func release(_ requestClass: RequestClass, keyID: KeyID) {
        let holder = Holder(requestClass: requestClass, keyID: keyID)
        inFlight.withLock { inFlight in
            let held = inFlight[holder, default: 0]
            precondition(held > 0, "released a \(requestClass) slot of a key that held none")
            inFlight[holder] = held > 1 ? held - 1 : nil
            keysGauge.set(Double(inFlight.count))
        }
    }

    /// Slots `keyID` holds of `requestClass`'s budget now.
    func held(_ requestClass: RequestClass, keyID: KeyID) -> Int {
        inFlight.withLock { $0[Holder(requestClass: requestClass, keyID: keyID), default: 0] }
    }

    /// Keys with a request in flight, all classes together (the size of the table).
    var holderCount: Int { inFlight.withLock(\.count) }

    /// Takes a slot of `keyID`'s share of the budget `request` was admitted under (the class
    /// `AdmissionMiddleware` used); nil for a request outside every budget. Throws the 429 problem a client
    /// sees when the key holds its share. The caller releases the slot when it is done (`defer`).
    func hold(_ request: Request, keyID: KeyID) throws -> KeyShareSlot? {
        guard let requestClass = RequestClass(method: request.method, path: request.uri.path) else { return nil }
        return try hold(requestClass, keyID: keyID)
    }

    func hold(_ requestClass: RequestClass, keyID: KeyID) throws -> KeyShareSlot {
        guard admit(requestClass, keyID: keyID) else {
            let name = requestClass.rawValue
            throw Problem(
                "key-share-full", status: .tooManyRequests,
                title: "Too many \(name) requests in flight signed by this key",
                detail: "One key may hold \(limits.keyShare(of: requestClass)) of this member's \(name) budget of "
                    + "\(limits.budget(of: requestClass)) (admission.maxKeySharePercent \(limits.maxKeySharePercent) %); "
                    + "retry later. A key you do not use this much may be in someone else's hands.",
                retryAfterSeconds: limits.retryAfterSeconds)
        }
        return KeyShareSlot(shares: self, requestClass: requestClass, keyID: keyID)
    }
}

/// One request's slot of its key's share, given back exactly once: by `release()` (the route's `defer`,
/// which runs on success, on a thrown error and when a cancelled wait throws) or, should a path ever
/// drop it without, when the last reference goes — so a slot cannot leak and lock a key out.
final class KeyShareSlot: Sendable {
    private let shares: KeyShares
    let requestClass: RequestClass
    let keyID: KeyID
    private let released = Atomic<Bool>(false)

    fileprivate init(shares: KeyShares, requestClass: RequestClass, keyID: KeyID) {
        self.shares = shares
        self.requestClass = requestClass
        self.keyID = keyID
    }

    /// Gives the slot back; later calls do nothing.
    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shares.release(requestClass, keyID: keyID)
    }

    deinit {
        release()
    }
}
