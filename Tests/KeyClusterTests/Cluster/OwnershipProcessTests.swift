import Foundation
import KeyCluster
import TestSupport
import Testing

/// Issue 13, item 2, shown on real processes through the documented API: the lock-out sequence of the issue
/// is refused, an operator's recovery works and is audited with name and reason, and a management request
/// back-dated by an owner whose grant has ended is refused.
@Suite("Ownership cannot be locked out, on a real cluster", .serialized)
struct OwnershipProcessTests {
    let api = KeyAuthorizationAPITests()
    struct Page: Decodable { var records: [AuditRecord] }

    /// Expects `call` to be refused with `status` and a problem type ending in `type`.
    private func expectRefused(_ status: Int, _ type: String, _ what: String, _ call: () async throws -> UInt64) async {
        do {
            _ = try await call()
            Issue.record("\(what) was accepted")
        } catch MemberClient.CallError.problem(let got, let gotType, let title, _, _) {
            #expect(got == status && gotType.hasSuffix(type), "\(what): \(got) \(gotType) \(title)")
        } catch {
            Issue.record("\(what): \(error)")
        }
    }

    @Test(
        "a limited owner cannot suspend the full owner; the last full owner goes only by an operator, who recovers the vehicle with an audited reason; an ended owner's back-dated revoke is refused"
    )
    func lockOutRefusedAndRecovery() async throws {
        try await api.withOperator { cluster, operatorClient, _ in
            let vin = KeyAuthorizationAPITests.vinText
            let owner = KeyHolder()
            let limited = KeyHolder()
            let shortOwner = KeyHolder()
            let driver = KeyHolder()
            let rescued = KeyHolder()
            var revision = try await api.register(owner: owner, via: operatorClient)
            let member = cluster.client(try await cluster.waitForLeader())
            func grant(_ key: KeyHolder, _ fields: [String: Any]) async throws -> UInt64 {
                var body = fields
                body["publicKey"] = Data(key.publicKey.x963).base64EncodedString()
                body["formFactor"] = "phone"
                return try await api.signed(
                    owner, member, path: "/v1/vehicles/\(vin)/keys?minRevision=\(revision)", command: "grant",
                    body: Array(try JSONSerialization.data(withJSONObject: body)))
            }
            // The issue's sequence: an owner limited to `lock` for a short while tries to suspend the full owner.
            revision = try await grant(
                limited, ["role": "owner", "permissions": ["lock"], "notAfterUnixMs": api.now() + 60_000])
            await expectRefused(403, "target-outranks-signer", "a limited owner suspending the full owner") {
                try await api.signed(
                    limited, member,
                    path: "/v1/vehicles/\(vin)/keys/\(owner.keyID.text)/suspend?minRevision=\(revision)",
                    command: "suspend")
            }
            // The full owner cannot remove itself as the last unrestricted owner.
            await expectRefused(409, "last-owner", "the last full owner revoking itself") {
                try await api.signed(
                    owner, member, path: "/v1/vehicles/\(vin)/keys/\(owner.keyID.text)/revoke?minRevision=\(revision)",
                    command: "revoke")
            }

            // An owner whose grant has ended back-dates a revoke to inside its window: refused.
            let shortEnd = api.now() + 1_500
            revision = try await grant(shortOwner, ["role": "owner", "notAfterUnixMs": shortEnd])
            revision = try await grant(driver, ["role": "driver"])
            try await waitUntil("the short owner's grant has ended", deadlineSeconds: 10) { api.now() > shortEnd + 200 }
            await expectRefused(403, "signer-not-authorized", "a back-dated revoke by an ended owner") {
                try await api.signed(
                    shortOwner, member,
                    path: "/v1/vehicles/\(vin)/keys/\(driver.keyID.text)/revoke?minRevision=\(revision)",
                    command: "revoke",
                    timestampUnixMs: shortEnd - 1_000)
            }

            // Only an operator removes the last full owner; the vehicle is then recovered, with a reason, audited.
            revision = try await operatorClient.post(
                "/v1/vehicles/\(vin)/keys/\(owner.keyID.text)/force-revoke", as: KeyAuthorizationAPITests.Change.self
            ).revision
            let reason = "owner lost the phone; identity checked at the dealer (ticket 4711)"
            let recoverBody = try JSONSerialization.data(withJSONObject: [
                "ownerPublicKey": Data(rescued.publicKey.x963).base64EncodedString(), "ownerFormFactor": "phone",
                "reason": reason,
            ])
            revision = try await operatorClient.post(
                "/v1/vehicles/\(vin)/recover-owner", body: Array(recoverBody), as: KeyAuthorizationAPITests.Change.self
            ).revision
            let page = try await operatorClient.get("/v1/vehicles/\(vin)/audit?minRevision=\(revision)", as: Page.self)
            let recovery = try #require(page.records.last)
            #expect(
                recovery.action == .recoverOwnership && recovery.reason == reason && recovery.target == rescued.keyID)
            #expect("\(recovery.actor)".contains("ops"), "the operator is named: \(recovery.actor)")
            // The recovered owner manages the vehicle again.
            _ = try await api.signed(
                rescued, member, path: "/v1/vehicles/\(vin)/keys/\(driver.keyID.text)/revoke?minRevision=\(revision)",
                command: "revoke")
        }
    }
}
