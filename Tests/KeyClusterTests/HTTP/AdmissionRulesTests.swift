import Foundation
import Testing

@testable import KeyCluster

/// The rules behind admission and 405 answers, without a server.
@Suite("Admission classes, limits and declared routes")
struct AdmissionRulesTests {
    @Test("unlock decisions, management writes and reads draw on separate budgets; health and metrics on none")
    func classification() {
        #expect(RequestClass(method: .post, path: "/v1/vehicles/WVWZZZ1JZXW000001/commands") == .unlock)
        #expect(RequestClass(method: .post, path: "/v1/vehicles/WVWZZZ1JZXW000001/keys") == .write)
        #expect(RequestClass(method: .post, path: "/v1/vehicles") == .write)
        #expect(RequestClass(method: .put, path: "/debug/kv/commands") == .write)
        #expect(RequestClass(method: .post, path: "/v1/vehicles/X/commands/extra") == .write)
        #expect(RequestClass(method: .get, path: "/v1/vehicles/WVWZZZ1JZXW000001/commands") == .read)
        #expect(RequestClass(method: .get, path: "/v1/vehicles/WVWZZZ1JZXW000001") == .read)
        for path in ["/healthz", "/readyz", "/metrics"] { #expect(RequestClass(method: .get, path: path) == nil, "\(path)") }
    }

    @Test("an admission object names only what it changes; the rest take their defaults; nonsense is refused")
    func limitsDecodeWithDefaults() throws {
        let limits = try JSONDecoder().decode(AdmissionLimits.self, from: Data(#"{"maxInFlightWrites": 3}"#.utf8))
        #expect(limits == AdmissionLimits(maxInFlightWrites: 3))
        #expect(limits.maxInFlightUnlocks == AdmissionLimits.defaultMaxInFlightUnlocks)
        #expect(limits.budget(of: .write) == 3 && limits.budget(of: .unlock) == AdmissionLimits.defaultMaxInFlightUnlocks)
        #expect(AdmissionLimits().refusal == nil)
        #expect(AdmissionLimits(maxInFlightUnlocks: 0).refusal != nil)
        #expect(AdmissionLimits(retryAfterSeconds: 0).refusal != nil)
    }

    @Test("a budget admits up to its size, refuses beyond, and admits again after a release")
    func budgetsAreSeparate() {
        let admission = AdmissionControl(limits: AdmissionLimits(maxInFlightUnlocks: 1, maxInFlightWrites: 2), registry: .init())
        #expect(admission.admit(.write) && admission.admit(.write))
        #expect(!admission.admit(.write))
        #expect(admission.admit(.unlock), "a full write budget must not hold back unlocks")
        #expect(!admission.admit(.unlock))
        admission.release(.write)
        #expect(admission.admit(.write))
    }

    @Test("the served document's paths and methods: 405 lists what a path allows, unknown paths are not matched")
    func declaredRoutes() {
        let routes = DeclaredRoutes(openAPIYAML: OpenAPIDocument.yaml)
        #expect(routes.methods(for: "/healthz") == [.get])
        #expect(routes.methods(for: "/v1/vehicles") == [.post])
        #expect(routes.methods(for: "/v1/vehicles/WVWZZZ1JZXW000001/keys/abc/revoke") == [.post])
        #expect(Set(routes.methods(for: "/debug/kv/some-key") ?? []) == [.get, .put])
        #expect(routes.methods(for: "/v1/vehicles/WVWZZZ1JZXW000001/unknown") == nil)
        #expect(routes.methods(for: "/v1/vehicles//keys") == nil, "a template segment matches only a non-empty segment")
        #expect(routes.methods(for: "/nope") == nil)
    }
}
