@testable import KeyCluster
import Testing

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
        cache.admit(vin: vin, keyID: (key ?? self.key).id, nonce: nonce, timestampUnixMs: timestamp ?? now, nowUnixMs: nowUnixMs ?? now)
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

    @Test("an entry is forgotten once its timestamp leaves the skew window")
    func expiry() throws {
        let cache = NonceCache()
        let nonce = try DomainFixture.freshNonce()
        #expect(admit(cache, nonce) == .fresh)
        let later = now + DomainLimits.maxClockSkewMs
        #expect(admit(cache, try DomainFixture.freshNonce(), timestamp: later, at: later) == .fresh)
        #expect(cache.count == 1)
    }

    @Test("a full cache refuses new nonces rather than forget unexpired ones, and frees space as they expire")
    func bounded() throws {
        let cache = NonceCache(maxEntries: 2)
        let nonces = try (0..<3).map { _ in try DomainFixture.freshNonce() }
        #expect(admit(cache, nonces[0]) == .fresh)
        #expect(admit(cache, nonces[1]) == .fresh)
        #expect(admit(cache, nonces[2]) == .full)
        #expect(admit(cache, nonces[0]) == .replayed)
        #expect(admit(cache, nonces[2], timestamp: now + DomainLimits.maxClockSkewMs, at: now + DomainLimits.maxClockSkewMs) == .fresh)
        #expect(cache.count == 1)
    }
}
