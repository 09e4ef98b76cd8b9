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

    /// How long after an accepted token's issue time its request stays remembered.
    public static let retentionMilliseconds = 3 * DomainLimits.maxClockSkewMs + DomainLimits.maxTokenLifetimeSeconds * 1_000
    public static let defaultMaxRememberedRequests = 1_024

    private struct RequestKey: Codable, Hashable, Sendable {
        let keyID: KeyID
        let nonce: Nonce
    }

    public init(maxRememberedRequests: Int = defaultMaxRememberedRequests) {
        precondition(maxRememberedRequests >= 1, "a ledger must remember at least one request")
        self.maxRememberedRequests = maxRememberedRequests
    }

    /// Requests remembered now (for tests and diagnostics).
    public var count: Int { remembered.count }

    /// Records `token`'s request as used, or throws `requestAlreadyUsed` if a token for the same request was
    /// accepted within the retention span. Call it only for a token that verified
    /// (`UnlockTokenVerifier.verifyUnlockToken`), just before acting on it.
    public mutating func use(_ token: UnlockToken, nowUnixMs: Int64) throws(TokenVerificationError) {
        let key = RequestKey(keyID: token.keyID, nonce: token.nonce)
        if let until = remembered[key], nowUnixMs < until { throw .requestAlreadyUsed }
        if remembered.count >= maxRememberedRequests { remembered = remembered.filter { nowUnixMs < $0.value } }
        guard remembered.count < maxRememberedRequests else { throw .tooManyRecentRequests }
        // Measured from the later of the vehicle's clock and the token's issue time, so neither clock
        // running behind shortens the span.
        remembered[key] = max(token.issuedAtUnixMs, nowUnixMs) + Self.retentionMilliseconds
    }
}
