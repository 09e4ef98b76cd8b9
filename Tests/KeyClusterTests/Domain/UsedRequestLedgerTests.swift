import Foundation
import TestSupport
import Testing

@testable import KeyCluster

/// The vehicle-side rule that one captured request yields one usable token (design §9), on tokens from
/// two different nodes of one cluster for the same signed request.
@Suite("The vehicle's used-request ledger")
struct UsedRequestLedgerTests {
    static let now = TokenFixture.now

    func token(_ nonce: String = "captured-request-01", key: KeyID? = nil, node: UInt64 = 1, issuedAt: Int64 = now)
        throws -> UnlockToken
    {
        UnlockToken(
            vin: try VIN(validating: "1HGCM82633A004352"), keyID: key ?? TestKey().id, command: .unlock,
            nonce: try Nonce(validating: nonce),
            issuedAtUnixMs: issuedAt, expiresAtUnixMs: issuedAt + 10_000, revision: 7, consistency: .strict,
            issuingNode: node)
    }

    @Test("a second token for the same request — from another node, issued later — is refused; other requests pass")
    func secondTokenRefused() throws {
        var ledger = UsedRequestLedger()
        let key = TestKey().id
        try ledger.use(try token(key: key, node: 1), nowUnixMs: Self.now)
        #expect(throws: TokenVerificationError.requestAlreadyUsed) {
            try ledger.use(try token(key: key, node: 2, issuedAt: Self.now + 20_000), nowUnixMs: Self.now + 20_000)
        }
        try ledger.use(try token("another-request-01", key: key), nowUnixMs: Self.now)
        try ledger.use(try token(key: TestKey().id), nowUnixMs: Self.now)
        #expect(ledger.count == 3)
    }

    @Test("a request is remembered until every token for it has expired: refused 1 ms before, accepted at the edge")
    func retentionEdge() throws {
        var ledger = UsedRequestLedger()
        let key = TestKey().id
        try ledger.use(try token(key: key), nowUnixMs: Self.now)
        let until = Self.now + UsedRequestLedger.retentionMilliseconds
        // The latest token another member could issue for it expires before the request is forgotten.
        #expect(until >= Self.now + 3 * DomainLimits.maxClockSkewMs + DomainLimits.maxTokenLifetimeSeconds * 1_000)
        #expect(throws: TokenVerificationError.requestAlreadyUsed) {
            try ledger.use(try token(key: key, node: 3, issuedAt: until - 1), nowUnixMs: until - 1)
        }
        try ledger.use(try token(key: key, node: 3, issuedAt: until), nowUnixMs: until)
    }

    @Test("a vehicle clock behind the token's issue time does not shorten the span")
    func clockBehind() throws {
        var ledger = UsedRequestLedger()
        let key = TestKey().id
        try ledger.use(try token(key: key, issuedAt: Self.now + 25_000), nowUnixMs: Self.now)
        #expect(throws: TokenVerificationError.requestAlreadyUsed) {
            try ledger.use(
                try token(key: key, node: 2), nowUnixMs: Self.now + UsedRequestLedger.retentionMilliseconds + 1_000)
        }
    }

    @Test("a full ledger refuses new requests until remembered ones expire, and never forgets one early")
    func bounded() throws {
        var ledger = UsedRequestLedger(maxRememberedRequests: 2)
        let first = try token("request-number-001")
        try ledger.use(first, nowUnixMs: Self.now)
        try ledger.use(try token("request-number-002"), nowUnixMs: Self.now + 1_000)
        #expect(throws: TokenVerificationError.tooManyRecentRequests) {
            try ledger.use(try token("request-number-003"), nowUnixMs: Self.now + 2_000)
        }
        #expect(throws: TokenVerificationError.requestAlreadyUsed) {
            try ledger.use(first, nowUnixMs: Self.now + 2_000)
        }
        try ledger.use(try token("request-number-003"), nowUnixMs: Self.now + UsedRequestLedger.retentionMilliseconds)
        #expect(ledger.count == 2)
    }

    /// The rule the ledger kept with a pass over every remembered request whenever it was full; it now
    /// keeps them in expiry order and forgets only what expired. Same decisions, on a random history with
    /// reused nonces, clock steps of whole seconds (so spans often end exactly at a use) and a small bound
    /// that fills up.
    @Test("forgetting expired requests in expiry order decides exactly as a pass over every request did")
    func expiryOrderMatchesFullPass() throws {
        let seed = TestSeed.make("expiryOrderMatchesFullPass")
        var random = SeededGenerator(seed: seed)
        let bound = 8
        var ledger = UsedRequestLedger(maxRememberedRequests: bound)
        var reference: [String: Int64] = [:]
        let key = TestKey().id
        var now = Self.now
        for step in 0..<2_000 {
            now += Int64.random(in: 0...30, using: &random) * 1_000
            let nonce = "request-number-\(Int.random(in: 0..<24, using: &random))"
            let issuedAt = now + Int64.random(in: -20...20, using: &random) * 1_000
            let expected: TokenVerificationError?
            if let until = reference[nonce], now < until {
                expected = .requestAlreadyUsed
            } else {
                if reference.count >= bound { reference = reference.filter { now < $0.value } }
                if reference.count >= bound {
                    expected = .tooManyRecentRequests
                } else {
                    expected = nil
                    reference[nonce] = max(issuedAt, now) + UsedRequestLedger.retentionMilliseconds
                }
            }
            let used = try token(nonce, key: key, issuedAt: issuedAt)
            var outcome: TokenVerificationError?
            do {
                try ledger.use(used, nowUnixMs: now)
            } catch {
                outcome = error
            }
            #expect(outcome == expected, "step \(step), seed \(seed)")
            #expect(ledger.count == reference.filter { now < $0.value }.count, "step \(step), seed \(seed)")
        }
    }

    @Test("a ledger file keeps its form: one written before the expiry order reads, and a read one keeps its rule")
    func ledgerFileForm() throws {
        let key = TestKey().id
        let until = Self.now + 5_000
        let file =
            #"{"maxRememberedRequests":4,"remembered":[{"keyID":"\#(key.text)","nonce":"captured-request-01"},\#(until)]}"#
        var ledger = try JSONDecoder().decode(UsedRequestLedger.self, from: Data(file.utf8))
        #expect(ledger.maxRememberedRequests == 4 && ledger.count == 1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(ledger), as: UTF8.self) == file)
        #expect(throws: TokenVerificationError.requestAlreadyUsed) {
            try ledger.use(try token(key: key), nowUnixMs: until - 1)
        }
        try ledger.use(try token(key: key, issuedAt: until), nowUnixMs: until)
        #expect(ledger.count == 1)
    }
}
