import Foundation
import HTTPTypes
import Hummingbird
import Prometheus
import Testing

@testable import KeyCluster

/// Each key id's share of the admission budgets (issue 12 item 4), without a server: the arithmetic, the
/// bookkeeping, and that a slot is given back however the request ends.
@Suite("Per-key fair shares of admission budgets")
struct KeyShareTests {
    static let keyA = KeyHolder().keyID
    static let keyB = KeyHolder().keyID

    @Test(
        "a key's share is maxKeySharePercent of its class's budget, rounded down, at least one; it decodes with a default and is validated"
    )
    func arithmetic() throws {
        let defaults = AdmissionLimits()
        #expect(defaults.maxKeySharePercent == AdmissionLimits.defaultMaxKeySharePercent)
        #expect(
            defaults.keyShare(of: .unlock) == AdmissionLimits.defaultMaxInFlightUnlocks
                * AdmissionLimits.defaultMaxKeySharePercent / 100)
        #expect(
            defaults.keyShare(of: .unlock) == 51 && defaults.keyShare(of: .write) == 25
                && defaults.keyShare(of: .read) == 25)
        let small = AdmissionLimits(
            maxInFlightUnlocks: 64, maxInFlightWrites: 2, maxInFlightReads: 100, maxKeySharePercent: 10)
        #expect(small.keyShare(of: .unlock) == 6)
        #expect(small.keyShare(of: .write) == 1, "10 % of 2 rounds down to 0, but every key may hold one")
        #expect(small.keyShare(of: .read) == 10)
        #expect(AdmissionLimits(maxInFlightReads: 7, maxKeySharePercent: 100).keyShare(of: .read) == 7)

        let decoded = try JSONDecoder().decode(AdmissionLimits.self, from: Data(#"{"maxKeySharePercent": 40}"#.utf8))
        #expect(decoded == AdmissionLimits(maxKeySharePercent: 40))
        #expect(
            decoded.maxSharePercent == AdmissionLimits.defaultMaxSharePercent, "the address share is a separate limit")
        let absent = try JSONDecoder().decode(AdmissionLimits.self, from: Data(#"{"maxSharePercent": 50}"#.utf8))
        #expect(absent.maxKeySharePercent == AdmissionLimits.defaultMaxKeySharePercent)
        #expect(AdmissionLimits(maxKeySharePercent: 0).refusal?.contains("maxKeySharePercent") == true)
        #expect(AdmissionLimits(maxKeySharePercent: 101).refusal?.contains("maxKeySharePercent") == true)
        #expect(
            AdmissionLimits(maxKeySharePercent: 1).refusal == nil
                && AdmissionLimits(maxKeySharePercent: 100).refusal == nil)
    }

    @Test(
        "a key holds at most its share of a class, whatever the address; other keys and other classes still get in; a release frees it"
    )
    func bookkeeping() throws {
        let registry = PrometheusCollectorRegistry()
        let shares = KeyShares(
            limits: AdmissionLimits(maxInFlightUnlocks: 8, maxInFlightWrites: 4, maxKeySharePercent: 25),
            registry: registry)
        #expect(shares.admit(.unlock, keyID: Self.keyA) && shares.admit(.unlock, keyID: Self.keyA))
        #expect(!shares.admit(.unlock, keyID: Self.keyA), "a third unlock of the same key is beyond 25 % of 8")
        #expect(shares.held(.unlock, keyID: Self.keyA) == 2, "a refusal takes nothing")
        #expect(shares.admit(.unlock, keyID: Self.keyB), "another key still gets in")
        #expect(shares.admit(.write, keyID: Self.keyA), "shares are per class")
        #expect(!shares.admit(.write, keyID: Self.keyA), "25 % of 4 is one")
        shares.release(.unlock, keyID: Self.keyA)
        #expect(shares.admit(.unlock, keyID: Self.keyA), "a released slot can be taken again")
        #expect(!shares.admit(.unlock, keyID: Self.keyA))
        for _ in 0..<2 { shares.release(.unlock, keyID: Self.keyA) }
        shares.release(.unlock, keyID: Self.keyB)
        shares.release(.write, keyID: Self.keyA)
        #expect(shares.holderCount == 0, "the table keeps no entry for a key with nothing in flight")
        let metrics = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(metrics.contains(#"keycluster_admission_key_share_rejected_total{class="unlock"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"keycluster_admission_key_share_rejected_total{class="write"} 1"#))
        #expect(metrics.contains("keycluster_admission_in_flight_keys 0"))
    }

    @Test(
        "over its share a key gets a 429 problem naming the key's share, with Retry-After; a route's request draws on its own class"
    )
    func refusalProblem() throws {
        let limits = AdmissionLimits(maxInFlightUnlocks: 10, maxKeySharePercent: 10, retryAfterSeconds: 2)
        let shares = KeyShares(limits: limits, registry: .init())
        let unlock = Request(
            head: HTTPRequest(
                method: .post, scheme: "https", authority: "localhost",
                path: "/v1/vehicles/WVWZZZ1JZXW000001/commands?minRevision=3"),
            body: .init(buffer: ByteBuffer()))
        let slot = try #require(try shares.hold(unlock, keyID: Self.keyA))
        #expect(slot.requestClass == .unlock)
        do {
            _ = try shares.hold(unlock, keyID: Self.keyA)
            Issue.record("a second unlock beyond the key's share of one was admitted")
        } catch let problem as Problem {
            #expect(problem.statusCode == 429 && problem.type == "urn:keycluster:problem:key-share-full")
            #expect(problem.retryAfterSeconds == 2 && problem.headers[.retryAfter] == "2")
            #expect(problem.headers[.contentType] == "application/problem+json")
            #expect(problem.title.contains("signed by this key"))
            #expect(
                problem.detail?.contains("maxKeySharePercent") == true
                    && problem.detail?.contains("1 of this member's unlock budget of 10") == true)
        }
        let read = Request(
            head: HTTPRequest(
                method: .get, scheme: "https", authority: "localhost", path: "/v1/vehicles/WVWZZZ1JZXW000001/key-list"),
            body: .init(buffer: ByteBuffer()))
        let readSlot = try #require(try shares.hold(read, keyID: Self.keyA))
        #expect(readSlot.requestClass == .read, "the key's full unlock share does not hold back its reads")
        let health = Request(
            head: HTTPRequest(method: .get, scheme: "https", authority: "localhost", path: "/healthz"),
            body: .init(buffer: ByteBuffer()))
        #expect(try shares.hold(health, keyID: Self.keyA) == nil, "requests outside every budget hold no share")
        slot.release()
        readSlot.release()
        #expect(shares.holderCount == 0)
        #expect(
            OpenAPIDocument.yaml.contains("urn:keycluster:problem:key-share-full"),
            "the served document names the new 429 type")
    }

    @Test("a slot is given back once: by release (twice is harmless), or when dropped without one")
    func slotLifecycle() throws {
        let shares = KeyShares(
            limits: AdmissionLimits(maxInFlightUnlocks: 10, maxKeySharePercent: 10), registry: .init())
        let slot = try shares.hold(.unlock, keyID: Self.keyA)
        slot.release()
        slot.release()
        #expect(shares.held(.unlock, keyID: Self.keyA) == 0)
        #expect(throws: Never.self) { _ = try shares.hold(.unlock, keyID: Self.keyA) }
        #expect(shares.held(.unlock, keyID: Self.keyA) == 0, "a slot nobody keeps is given back at once")
    }

    /// How a route holds a slot: taken once the signature verifies, given back by `defer` when the route
    /// ends. `end` decides how it ends; `holding` hears when the slot is held.
    enum End { case answer, error, cancellation }
    struct RouteFailure: Error {}

    static func route(_ shares: KeyShares, end: End, holding: AsyncStream<Void>.Continuation) async throws -> String {
        var keySlot: KeyShareSlot?
        defer { keySlot?.release() }
        keySlot = try shares.hold(.unlock, keyID: keyA)
        holding.yield()
        switch end {
        case .answer: return "token"
        case .error: throw RouteFailure()
        case .cancellation:
            // Stands for a minRevision wait: it ends only when the task is cancelled.
            let (wait, waitContinuation) = AsyncStream<Void>.makeStream()
            for await _ in wait {}
            waitContinuation.finish()
            try Task.checkCancellation()
            return "never"
        }
    }

    @Test(
        "the slot is given back when the request is answered, fails, or is cancelled while it waits",
        arguments: [End.answer, .error, .cancellation])
    func releasedOnEveryPath(end: End) async throws {
        let shares = KeyShares(
            limits: AdmissionLimits(maxInFlightUnlocks: 10, maxKeySharePercent: 10), registry: .init())
        let (holding, holdingContinuation) = AsyncStream<Void>.makeStream()
        let task = Task { try await Self.route(shares, end: end, holding: holdingContinuation) }
        var heard = holding.makeAsyncIterator()
        _ = await heard.next()
        if end == .cancellation {
            #expect(shares.held(.unlock, keyID: Self.keyA) == 1, "held while it waits")
            task.cancel()
        }
        let outcome = await task.result
        switch (end, outcome) {
        case (.answer, .success("token")): break
        case (.error, .failure(let error)): #expect(error is RouteFailure)
        case (.cancellation, .failure(let error)): #expect(error is CancellationError)
        default: Issue.record("unexpected outcome \(outcome) for \(end)")
        }
        #expect(shares.held(.unlock, keyID: Self.keyA) == 0 && shares.holderCount == 0, "\(end)")
        holdingContinuation.finish()
    }
}
