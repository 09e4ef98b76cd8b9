/// The vehicle's half of "a captured unlock request yields at most one usable token" (design §9).
///
/// Each member keeps its own nonce cache, so one signed request replayed to every member is answered by each
/// of them — up to one token per member. The token carries the request's key id and nonce; the vehicle
/// acts on the first valid token for a request and refuses every other token for it for as long as any
/// such token could still be valid. Holding only this ledger, it needs no network.
///
/// How long that is: members accept a request while their clock is within `maxClockSkew` of its
/// timestamp, so tokens for one request are issued within 2 × `maxClockSkew` of each other (plus
/// `maxClockSkew` for members' clocks disagreeing), and each lives at most `maxTokenLifetime`. A request is
/// remembered for that whole span after the issue time of the token the vehicle accepted.
public struct UsedRequestLedger: Codable, Sendable {
    /// Requests remembered at once. A vehicle sees a handful of commands a minute; a ledger full of
    /// requests that are all still in their window means a flood, and the vehicle refuses rather than forget.
    public let maxRememberedRequests: Int
    /// (key id, request nonce) → until when (Unix ms) another token for it is refused.
    private var remembered: [RequestKey: Int64] = [:]
    /// The same entries ordered by `until`, soonest first, so forgetting expired requests costs a few steps
    /// per request forgotten instead of a pass over all of them. Rebuilt from `remembered` when decoded.
    private var expiries = ExpiryQueue()

    /// How long after an accepted token's issue time its request stays remembered.
    public static let retentionMilliseconds =
        3 * DomainLimits.maxClockSkewMs + DomainLimits.maxTokenLifetimeSeconds * 1_000
    public static let defaultMaxRememberedRequests = 1_024

    private struct RequestKey: Codable, Hashable, Sendable {
        let keyID: KeyID
        let nonce: Nonce
    }

    /// The stored form is what it was before `expiries` existed, so ledger files stay readable both ways.
    private enum CodingKeys: String, CodingKey {
        case maxRememberedRequests, remembered
    }

    public init(maxRememberedRequests: Int = defaultMaxRememberedRequests) {
        precondition(maxRememberedRequests >= 1, "a ledger must remember at least one request")
        self.maxRememberedRequests = maxRememberedRequests
    }

    /// Requests remembered as of the last `use`: those whose span had not ended then (for tests and diagnostics).
    public var count: Int { remembered.count }

    /// Records `token`'s request as used, or throws `requestAlreadyUsed` if a token for the same request was
    /// accepted within the retention span. Call it only for a token that verified
    /// (`UnlockTokenVerifier.verifyUnlockToken`), just before acting on it.
    public mutating func use(_ token: UnlockToken, nowUnixMs: Int64) throws(TokenVerificationError) {
        forgetExpired(nowUnixMs: nowUnixMs)
        let key = RequestKey(keyID: token.keyID, nonce: token.nonce)
        if let until = remembered[key], nowUnixMs < until { throw .requestAlreadyUsed }
        guard remembered.count < maxRememberedRequests else { throw .tooManyRecentRequests }
        // Measured from the later of the vehicle's clock and the token's issue time, so neither clock
        // running behind shortens the span.
        let until = max(token.issuedAtUnixMs, nowUnixMs) + Self.retentionMilliseconds
        remembered[key] = until
        expiries.push(until: until, key: key)
    }

    /// Forgets every request whose span ended at or before `nowUnixMs` (another token for it is accepted
    /// then anyway). An entry of the queue whose request was remembered again since is skipped.
    private mutating func forgetExpired(nowUnixMs: Int64) {
        while let (until, key) = expiries.popFirst(endingAtOrBefore: nowUnixMs) {
            if remembered[key] == until { remembered[key] = nil }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        maxRememberedRequests = try container.decode(Int.self, forKey: .maxRememberedRequests)
        remembered = try container.decode([RequestKey: Int64].self, forKey: .remembered)
        for (key, until) in remembered { expiries.push(until: until, key: key) }
    }

    /// A binary min-heap of (until, request).
    private struct ExpiryQueue: Sendable {
        private var heap: [(until: Int64, key: RequestKey)] = []

        mutating func push(until: Int64, key: RequestKey) {
            heap.append((until, key))
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].until < heap[parent].until else { return }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        /// Removes and returns the soonest entry if it ends at or before `time`.
        mutating func popFirst(endingAtOrBefore time: Int64) -> (Int64, RequestKey)? {
            guard let first = heap.first, first.until <= time else { return nil }
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1
                    let right = left + 1
                    var smallest = parent
                    if left < heap.count, heap[left].until < heap[smallest].until { smallest = left }
                    if right < heap.count, heap[right].until < heap[smallest].until { smallest = right }
                    guard smallest != parent else { break }
                    heap.swapAt(parent, smallest)
                    parent = smallest
                }
            }
            return (first.until, first.key)
        }
    }
}
