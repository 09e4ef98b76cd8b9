import Testing

@testable import KeyCluster

@Suite("unlock nonce cache")
struct DomainNonceCacheTests {
    let now: Int64 = 1_800_000_000_000
    let vin: VIN
    let key = TestKey()

    init() throws {
        vin = try VIN(validating: "1HGCM82633A004352")
    }

    func admit(
        _ cache: NonceCache, _ nonce: Nonce, timestamp: Int64? = nil, at nowUnixMs: Int64? = nil, key: TestKey? = nil
    ) -> NonceCache.Outcome {
        cache.admit(
            vin: vin, keyID: (key ?? self.key).id, nonce: nonce, timestampUnixMs: timestamp ?? now,
            nowUnixMs: nowUnixMs ?? now)
    }

    @Test("a nonce is accepted once and refused when replayed within the window")
    func replay() throws {
        let cache = NonceCache()
        let nonce = try DomainFixture.freshNonce()
        #expect(admit(cache, nonce) == .fresh)
        #expect(admit(cache, nonce) == .replayed)
        #expect(admit(cache, nonce, at: now + DomainLimits.maxClockSkewMs - 1) == .replayed)
        #expect(admit(cache, nonce, key: TestKey()) == .fresh)
    }

    @Test("an entry is forgotten only after its timestamp left the skew window by the grace period")
    func expiry() throws {
        let cache = NonceCache()
        let nonce = try DomainFixture.freshNonce()
        #expect(admit(cache, nonce) == .fresh)
        let forgottenAfter = now + DomainLimits.maxClockSkewMs + NonceCache.retentionGraceMilliseconds
        #expect(admit(cache, try DomainFixture.freshNonce(), timestamp: forgottenAfter, at: forgottenAfter) == .fresh)
        #expect(cache.count == 2, "still kept at the last millisecond of its grace")
        #expect(
            admit(cache, try DomainFixture.freshNonce(), timestamp: forgottenAfter + 1, at: forgottenAfter + 1)
                == .fresh)
        #expect(cache.count == 2, "the first one is gone one millisecond later")
    }

    @Test("the window's edge: a replay at exactly timestamp + 30 s (still accepted by the clock check) is refused")
    func windowEdge() throws {
        let cache = NonceCache()
        let nonce = try DomainFixture.freshNonce()
        #expect(admit(cache, nonce) == .fresh)
        for offset: Int64 in [-1, 0, 1, 2_500] {
            #expect(
                admit(cache, nonce, at: now + DomainLimits.maxClockSkewMs + offset) == .replayed, "offset \(offset) ms")
        }
    }

    @Test("a full cache refuses new nonces rather than forget unexpired ones, and frees space as they expire")
    func bounded() throws {
        let cache = NonceCache(maxEntries: 2)
        let nonces = try (0..<3).map { _ in try DomainFixture.freshNonce() }
        #expect(admit(cache, nonces[0]) == .fresh)
        #expect(admit(cache, nonces[1]) == .fresh)
        #expect(admit(cache, nonces[2]) == .full)
        #expect(admit(cache, nonces[0]) == .replayed)
        let later = now + DomainLimits.maxClockSkewMs + NonceCache.retentionGraceMilliseconds + 1
        #expect(admit(cache, nonces[2], timestamp: later, at: later) == .fresh)
        #expect(cache.count == 1)
    }
}
