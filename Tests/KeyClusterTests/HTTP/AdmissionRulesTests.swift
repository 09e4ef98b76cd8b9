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

@Suite struct OpenAPISharedResponsesTests {
    /// The responses block of `method` on `path` in the served document.
    func responses(_ method: String, _ path: String) -> [Substring] {
        let lines = OpenAPIDocument.yaml.split(separator: "\n")
        guard let pathLine = lines.firstIndex(of: "  \(path):"[...]),
              let methodLine = lines[pathLine...].firstIndex(of: "    \(method):"[...]),
              let responsesLine = lines[methodLine...].firstIndex(of: "      responses:") else { return [] }
        return Array(lines[(responsesLine + 1)...].prefix { $0.hasPrefix("        ") })
    }

    @Test("every budgeted operation declares 429, every operation 405; unbudgeted health endpoints no 429")
    func sharedResponses() {
        for (method, path) in [("post", "/v1/vehicles/{vin}/commands"), ("get", "/v1/cluster/status"), ("put", "/debug/kv/{key}"), ("get", "/openapi.yaml")] {
            #expect(responses(method, path).contains { $0.contains("\"429\"") && $0.contains("Overloaded") }, "\(method) \(path)")
        }
        for (method, path) in [("get", "/healthz"), ("get", "/readyz"), ("get", "/metrics")] {
            #expect(!responses(method, path).contains { $0.contains("\"429\"") }, "\(method) \(path)")
            #expect(responses(method, path).contains { $0.contains("\"405\"") }, "\(method) \(path)")
        }
        #expect(DeclaredRoutes(openAPIYAML: OpenAPIDocument.yaml).methods(for: "/debug/kv/k").map(Set.init) == [.get, .put])
    }
}
