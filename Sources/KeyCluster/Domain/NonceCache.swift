import Synchronization

/// The nonces of recently accepted unlock requests on this node, so a captured request is refused when
/// replayed to the same node within its timestamp window. (Unlock decisions are reads, not log entries, so
/// unlike management commands they have no replicated nonce record.)
///
/// A nonce is remembered until its request's timestamp has left the skew window by a grace period (after
/// that the timestamp check refuses the replay anyway), inclusive at both ends: one member never accepts a
/// nonce twice. Bounded: when full of unexpired nonces it refuses new requests rather
/// than forget one, because forgetting would let a replay through. Admit a nonce only after the request's
/// signature verified, so only key holders can fill the cache.
public final class NonceCache: Sendable {
    public static let defaultMaxEntries = 100_000
    /// A nonce is kept this long past the end of its request's timestamp window. The window is checked
    /// when the signature is, and the nonce admitted afterwards — up to a read point and a `minRevision`
    /// wait later (2.5 s at most): a nonce forgotten exactly at the window's edge could be admitted again
    /// by a replay verified just inside it.
    public static let retentionGraceMilliseconds: Int64 = 10_000

    public enum Outcome: Hashable, Sendable {
        case fresh
        case replayed
        /// Full of unexpired nonces: the caller should answer 503 with Retry-After.
        case full
    }

    public let maxEntries: Int
    private let state: Mutex<State>

    public init(maxEntries: Int = NonceCache.defaultMaxEntries) {
        precondition(maxEntries > 0, "a nonce cache must hold at least one entry")
        self.maxEntries = maxEntries
        state = Mutex(State())
    }

    /// Records the request's nonce if it has not been seen; `nowUnixMs` is the node's clock.
    public func admit(vin: VIN, keyID: KeyID, nonce: Nonce, timestampUnixMs: Int64, nowUnixMs: Int64) -> Outcome {
        let key = "\(vin.text)/\(keyID.text)/\(nonce.text)"
        let expiresAtUnixMs = timestampUnixMs + DomainLimits.maxClockSkewMs + Self.retentionGraceMilliseconds
        return state.withLock { state in
            state.removeExpired(nowUnixMs: nowUnixMs)
            if let seenExpiry = state.expiries[key], seenExpiry >= nowUnixMs { return .replayed }
            guard state.expiries.count < maxEntries else { return .full }
            state.expiries[key] = expiresAtUnixMs
            state.order.append((key, expiresAtUnixMs))
            return .fresh
        }
    }

    public var count: Int { state.withLock { $0.expiries.count } }

    private struct State: ~Copyable {
        var expiries: [String: Int64] = [:]
        /// Keys in arrival order, consumed from `head`. Arrival order is nearly expiry order (accepted
        /// timestamps lie within the skew window of arrival), so removing from the front keeps up; an entry
        /// stuck behind a later-expiring one lingers at most one window, and `expiries` stays bounded.
        var order: [(key: String, expiresAtUnixMs: Int64)] = []
        var head = 0

        mutating func removeExpired(nowUnixMs: Int64) {
            while head < order.count, order[head].expiresAtUnixMs < nowUnixMs {
                let entry = order[head]
                if expiries[entry.key] == entry.expiresAtUnixMs { expiries[entry.key] = nil }
                head += 1
            }
            if head > order.count / 2 {
                order.removeFirst(head)
                head = 0
            }
        }
    }
}
