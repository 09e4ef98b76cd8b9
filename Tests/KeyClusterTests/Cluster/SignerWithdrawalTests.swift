import Foundation
import KeyCluster
import TestSupport
import Testing

/// Issue 13, item 3: a signing certificate withdrawn early (its key was copied) is named in every key list
/// the cluster signs afterwards, so the vehicle refuses what it signed; its member signs nothing more with it
/// until it is renewed, and picks up the renewal without a restart.
@Suite("Withdrawn token-signing certificates", .serialized)
struct SignerWithdrawalTests {
    let api = KeyAuthorizationAPITests()

    @Test(
        "an operator withdraws a member's signing certificate: its member refuses to sign, others' key lists name it, the vehicle refuses its token; renewed, it signs again"
    )
    func withdrawAndRenew() async throws {
        try await api.withOperator { cluster, operatorClient, _ in
            let owner = KeyHolder()
            try await cluster.waitForApplied(try await api.register(owner: owner, via: operatorClient))
            let vin = try VIN(validating: KeyAuthorizationAPITests.vinText)
            let verifier = try api.verifier(cluster)
            let suspect = try #require(cluster.ids.last)
            let other = try #require(cluster.ids.first { $0 != suspect })
            let signingCertificate = try #require(
                cluster.configurations.first { $0.id == suspect }?.tls.signingCertificate)

            let path = "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)/commands"
            let body = Array(#"{"command":"unlock"}"#.utf8)
            func unlock(via id: UInt64) async throws -> SignedDocument {
                let headers = try owner.signatureHeaders(
                    method: "POST", path: path, vin: vin, command: "unlock", body: body, nowUnixMs: api.now())
                return try await cluster.client(id).send(
                    .POST, path, body: body, headers: headers, as: SignedDocument.self)
            }
            let earlier = try await unlock(via: suspect)
            _ = try verifier.verifyUnlockToken(earlier, vin: vin, command: .unlock, nowUnixMs: api.now())

            let ops = try cluster.layout.issueOperator(name: "signer-ops")
            let withdrawn = try await runKeyCluster(
                [
                    "cluster", "withdraw-signer", "--config", cluster.layout.configurationPath(of: other),
                    "--operator-cert", ops.certificate,
                    "--operator-key", ops.privateKey, "--certificate", signingCertificate, "--reason",
                    "key file copied from a backup host", "--json",
                ],
                logFile: "\(cluster.layout.directory)/withdraw.log")
            #expect(withdrawn.status == 0, "\(withdrawn.output)")
            struct Withdrawn: Decodable {
                var fingerprint: String
                var member: UInt64
                var revision: UInt64
            }
            let answer = try JSONDecoder().decode(Withdrawn.self, from: Data(withdrawn.output.utf8))
            #expect(answer.member == suspect)
            try await cluster.waitForApplied(answer.revision)

            // The suspect member signs nothing more; another member does, and its key list names the certificate.
            do {
                _ = try await unlock(via: suspect)
                Issue.record("a member signed with a withdrawn certificate")
            } catch MemberClient.CallError.problem(let status, let type, _, _, _) {
                #expect(status == 503 && type.hasSuffix("signer-withdrawn"), "\(status) \(type)")
            }
            let fresh = try await unlock(via: other)
            let listDocument = try await cluster.operatorClient(other).get(
                "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)/key-list?minRevision=\(answer.revision)",
                as: SignedDocument.self)
            let list = try verifier.verifyKeyList(listDocument, vin: vin, nowUnixMs: api.now())
            #expect(list.withdrawnSigners == [answer.fingerprint])
            #expect(throws: TokenVerificationError.signerWithdrawn) {
                try verifier.verifyUnlockToken(earlier, vin: vin, command: .unlock, nowUnixMs: api.now(), keyList: list)
            }
            _ = try verifier.verifyUnlockToken(fresh, vin: vin, command: .unlock, nowUnixMs: api.now(), keyList: list)

            // Renewed on the CA workstation and copied into place: the member signs again without a restart.
            try CertificateDirectory(path: cluster.layout.directory).issueTokenSigner(id: suspect)
            try await waitUntil("the renewed certificate signs", deadlineSeconds: 30) {
                (try? await unlock(via: suspect)) != nil
            }
            let renewed = try await unlock(via: suspect)
            _ = try verifier.verifyUnlockToken(renewed, vin: vin, command: .unlock, nowUnixMs: api.now(), keyList: list)
        }
    }
}
