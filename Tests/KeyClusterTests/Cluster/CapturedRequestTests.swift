import Foundation
import KeyCluster
import TestSupport
import Testing

/// A captured signed unlock request replayed to every member (issue 12, item 7): each member keeps its own
/// nonce cache, so each may answer with a token, but the vehicle — with the verifier and its used-request
/// ledger, as the README tells vehicle makers — acts on exactly one; and no member answers it twice.
@Suite("A captured unlock request yields one usable token", .serialized)
struct CapturedRequestTests {
    let api = KeyAuthorizationAPITests()

    @Test(
        "the same signed request sent to every member: the vehicle uses one token, refuses the rest; a member refuses a replay"
    )
    func capturedRequestOneToken() async throws {
        try await api.withOperator { cluster, operatorClient, _ in
            let owner = KeyHolder()
            try await cluster.waitForApplied(try await api.register(owner: owner, via: operatorClient))
            let verifier = try api.verifier(cluster)
            let vin = try VIN(validating: KeyAuthorizationAPITests.vinText)
            let path = "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)/commands"
            let body = Array(#"{"command":"unlock"}"#.utf8)
            let captured = try owner.signatureHeaders(
                method: "POST", path: path, vin: vin, command: "unlock", body: body, nowUnixMs: api.now())

            var tokens: [UnlockToken] = []
            for id in cluster.ids {
                let document = try await cluster.client(id).send(
                    .POST, path, body: body, headers: captured, as: SignedDocument.self)
                tokens.append(
                    try verifier.verifyUnlockToken(document, vin: vin, command: .unlock, nowUnixMs: api.now()))
                do {
                    _ = try await cluster.client(id).send(
                        .POST, path, body: body, headers: captured, as: SignedDocument.self)
                    Issue.record("member \(id) answered the same request twice")
                } catch MemberClient.CallError.problem(let status, let type, _, _, _) {
                    #expect(status == 409 && type.hasSuffix("replayed-nonce"), "member \(id): \(status) \(type)")
                }
            }
            var ledger = UsedRequestLedger()
            var used = 0
            for token in tokens {
                do {
                    try ledger.use(token, nowUnixMs: api.now())
                    used += 1
                } catch let error as TokenVerificationError {
                    #expect(error == .requestAlreadyUsed)
                }
            }
            #expect(
                used == 1,
                "one captured request, \(tokens.count) tokens from \(Set(tokens.map(\.issuingNode)).count) members, \(used) used"
            )
        }
    }
}
