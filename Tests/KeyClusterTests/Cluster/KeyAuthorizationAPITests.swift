import AsyncHTTPClient
import Foundation
import KeyCluster
import KeyClusterTooling
import TestSupport
import Testing
import X509

/// The key-authorization API through a real 3-member cluster: operator enrolment, owner-signed grants and
/// revocations, the signed key list a vehicle caches, and refusals that change nothing.
@Suite("Key-authorization API on a real cluster", .serialized)
struct KeyAuthorizationAPITests {
    static let vinText = "WVWZZZ1JZXW000001"

    struct Change: Decodable { var revision: UInt64 }
    struct VehicleView: Decodable {
        var grants: [Grant]
        var appliedIndex: UInt64
    }

    func withOperator(
        maxStalenessMilliseconds: Int? = nil,
        _ body: (LocalClusterProcesses, MemberClient, HTTPClient) async throws -> Void
    ) async throws {
        try await withProcessCluster(
            regions: ["eu-west", "us-east", "ap-south"], maxStalenessMilliseconds: maxStalenessMilliseconds
        ) { cluster in
            let credential = try cluster.layout.issueOperator(name: "ops")
            let operatorHTTP = try MemberClient.makeHTTPClient(
                caCertificatePath: cluster.layout.caCertificatePath, clientCertificate: credential)
            do {
                let leader = try await cluster.waitForLeader()
                try await body(
                    cluster, MemberClient(address: cluster.client(leader).address, http: operatorHTTP), operatorHTTP)
            } catch {
                try? await operatorHTTP.shutdown()
                throw error
            }
            try await operatorHTTP.shutdown()
        }
    }

    func register(owner: KeyHolder, via operatorClient: MemberClient) async throws -> UInt64 {
        let body = try JSONSerialization.data(withJSONObject: [
            "vin": Self.vinText, "ownerPublicKey": Data(owner.publicKey.x963).base64EncodedString(),
            "ownerFormFactor": "phone",
        ])
        return try await operatorClient.post("/v1/vehicles", body: Array(body), as: Change.self).revision
    }

    /// `timestampUnixMs`: the request's own timestamp (default now) — a client may back- or forward-date it.
    func signed(
        _ holder: KeyHolder, _ client: MemberClient, path: String, command: String, body: [UInt8] = [],
        timestampUnixMs: Int64? = nil
    ) async throws -> UInt64 {
        let headers = try holder.signatureHeaders(
            method: "POST", path: path, vin: try VIN(validating: Self.vinText), command: command, body: body,
            nowUnixMs: timestampUnixMs ?? now())
        return try await client.send(.POST, path, body: body, headers: headers, as: Change.self).revision
    }

    func grantBody(_ key: KeyHolder, role: String, notAfter: Int64? = nil) throws -> [UInt8] {
        var fields: [String: Any] = [
            "publicKey": Data(key.publicKey.x963).base64EncodedString(), "formFactor": "phone", "role": role,
        ]
        if let notAfter { fields["notAfterUnixMs"] = notAfter }
        return Array(try JSONSerialization.data(withJSONObject: fields))
    }

    @Test(
        "an operator enrolls a vehicle, its owner grants and revokes a key, and every member's signed key list shows it"
    )
    func enrollGrantRevoke() async throws {
        try await withOperator { cluster, operatorClient, _ in
            let owner = KeyHolder()
            let driver = KeyHolder()
            let enrolled = try await register(owner: owner, via: operatorClient)
            // Through a follower, signed by the owner.
            let leader = try await cluster.waitForLeader()
            let follower = cluster.client(cluster.ids.first { $0 != leader } ?? leader)
            let granted = try await signed(
                owner, follower, path: "/v1/vehicles/\(Self.vinText)/keys?minRevision=\(enrolled)", command: "grant",
                body: try grantBody(driver, role: "driver"))
            let verifier = UnlockTokenVerifier(
                caCertificate: try Certificate(
                    pemEncoded: String(contentsOfFile: cluster.layout.caCertificatePath, encoding: .utf8)))
            for id in cluster.ids {
                let document = try await cluster.operatorClient(id).get(
                    "/v1/vehicles/\(Self.vinText)/key-list?minRevision=\(granted)", as: SignedDocument.self)
                let list = try verifier.verifyKeyList(
                    document, vin: try VIN(validating: Self.vinText),
                    nowUnixMs: Int64(Date().timeIntervalSince1970 * 1_000))
                #expect(Set(list.keys.map(\.keyID)) == [owner.keyID, driver.keyID], "member \(id)")
            }
            let revoked = try await signed(
                owner, follower,
                path: "/v1/vehicles/\(Self.vinText)/keys/\(driver.keyID.text)/revoke?minRevision=\(granted)",
                command: "revoke")
            for id in cluster.ids {
                let view = try await cluster.operatorClient(id).get(
                    "/v1/vehicles/\(Self.vinText)?minRevision=\(revoked)", as: VehicleView.self)
                #expect(view.grants.map(\.keyID) == [owner.keyID], "member \(id) still lists the revoked key")
            }
        }
    }

    @Test("bad input gets a 4xx problem document and changes nothing")
    func badInputChangesNothing() async throws {
        try await withOperator { cluster, operatorClient, _ in
            let owner = KeyHolder()
            let stranger = KeyHolder()
            let enrolled = try await register(owner: owner, via: operatorClient)
            let plain = cluster.client(cluster.ids[0])
            let path = "/v1/vehicles/\(Self.vinText)/keys?minRevision=\(enrolled)"
            let attempts: [(String, () async throws -> UInt64)] = [
                ("no operator certificate", { try await register(owner: owner, via: plain) }),
                (
                    "unsigned grant",
                    {
                        try await plain.post(path, body: try grantBody(stranger, role: "driver"), as: Change.self)
                            .revision
                    }
                ),
                (
                    "stranger signs a grant",
                    {
                        try await signed(
                            stranger, plain, path: path, command: "grant", body: try grantBody(stranger, role: "owner"))
                    }
                ),
                (
                    "guest without expiry",
                    {
                        try await signed(
                            owner, plain, path: path, command: "grant", body: try grantBody(stranger, role: "guest"))
                    }
                ),
                (
                    "malformed JSON",
                    { try await signed(owner, plain, path: path, command: "grant", body: Array("{not json".utf8)) }
                ),
                (
                    "bad VIN",
                    { try await plain.post("/v1/vehicles/NOT-A-VIN/keys", body: [], as: Change.self).revision }
                ),
                (
                    "oversized body",
                    {
                        try await plain.post(path, body: [UInt8](repeating: 0x20, count: 70_000), as: Change.self)
                            .revision
                    }
                ),
                (
                    "an audit page of 0 records",
                    {
                        try await cluster.operatorClient(cluster.ids[0]).get(
                            "/v1/vehicles/\(Self.vinText)/audit?limit=0", as: AuditPage.self
                        ).appliedIndex
                    }
                ),
            ]
            for (name, attempt) in attempts {
                do {
                    _ = try await attempt()
                    Issue.record("\(name) was accepted")
                } catch MemberClient.CallError.problem(let status, let type, _, _, _) {
                    #expect((400..<500).contains(status), "\(name): \(status)")
                    #expect(type.hasPrefix("urn:keycluster:problem:"), "\(name): \(type)")
                }
            }
            let view = try await cluster.operatorClient(cluster.ids[0]).get(
                "/v1/vehicles/\(Self.vinText)?minRevision=\(enrolled)", as: VehicleView.self)
            #expect(view.grants.map(\.keyID) == [owner.keyID])
            // Who granted is told plainly, never in Swift's enum encoding (`{"operator":{"_0":…}}`).
            let raw = try await cluster.operatorClient(cluster.ids[0]).text(
                "/v1/vehicles/\(Self.vinText)?minRevision=\(enrolled)")
            let json = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any]
            let grantedBy = (json?["grants"] as? [[String: Any]])?.first?["grantedBy"] as? [String: String]
            #expect(
                grantedBy?["kind"] == "operator" && grantedBy?["name"]?.isEmpty == false && grantedBy?.count == 2,
                "\(raw)")
            #expect(!raw.contains("_0"), "\(raw)")
        }
    }

    func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

    /// Asks member `client` for `command` signed by `holder`; returns the token, verified like a vehicle would.
    func command(
        _ holder: KeyHolder, _ command: String, via client: MemberClient, minRevision: UInt64,
        verifier: UnlockTokenVerifier,
        nonce: Nonce = Nonce.random(), consistency: String? = nil
    ) async throws -> UnlockToken {
        let path =
            "/v1/vehicles/\(Self.vinText)/commands?minRevision=\(minRevision)"
            + (consistency.map { "&consistency=\($0)" } ?? "")
        let body = Array("{\"command\":\"\(command)\"}".utf8)
        let headers = try holder.signatureHeaders(
            method: "POST", path: path, vin: try VIN(validating: Self.vinText), command: command, body: body,
            nowUnixMs: now(), nonce: nonce)
        let document = try await client.send(.POST, path, body: body, headers: headers, as: SignedDocument.self)
        guard let permission = Permission(rawValue: command) else { throw CocoaError(.featureUnsupported) }
        return try verifier.verifyUnlockToken(
            document, vin: try VIN(validating: Self.vinText), command: permission, nowUnixMs: now())
    }

    func verifier(_ cluster: LocalClusterProcesses) throws -> UnlockTokenVerifier {
        try UnlockTokenVerifier(caBundleFile: cluster.layout.caCertificatePath)
    }

    @Test(
        "a strict unlock yields a token the vehicle verifies; right after a revoke is acknowledged every member refuses the key; a replayed request is refused"
    )
    func strictUnlockAndRevoke() async throws {
        try await withOperator { cluster, operatorClient, _ in
            let owner = KeyHolder()
            let driver = KeyHolder()
            let enrolled = try await register(owner: owner, via: operatorClient)
            let verifier = try verifier(cluster)
            let granted = try await signed(
                owner, cluster.client(cluster.ids[1]),
                path: "/v1/vehicles/\(Self.vinText)/keys?minRevision=\(enrolled)",
                command: "grant", body: try grantBody(driver, role: "driver"))
            for id in cluster.ids {
                let token = try await command(
                    driver, "unlock", via: cluster.client(id), minRevision: granted, verifier: verifier)
                #expect(
                    token.consistency == .strict && token.keyID == driver.keyID && token.revision >= granted,
                    "member \(id)")
            }
            let nonce = Nonce.random()
            _ = try await command(
                driver, "lock", via: cluster.client(cluster.ids[0]), minRevision: granted, verifier: verifier,
                nonce: nonce)
            await #expect(throws: MemberClient.CallError.self) {
                _ = try await command(
                    driver, "lock", via: cluster.client(cluster.ids[0]), minRevision: granted, verifier: verifier,
                    nonce: nonce)
            }
            _ = try await signed(
                owner, cluster.client(cluster.ids[2]),
                path: "/v1/vehicles/\(Self.vinText)/keys/\(driver.keyID.text)/revoke",
                command: "revoke")
            // No minRevision: the strict read alone must see the acknowledged revoke, on every member.
            for id in cluster.ids {
                do {
                    _ = try await command(driver, "unlock", via: cluster.client(id), minRevision: 0, verifier: verifier)
                    Issue.record("member \(id) authorized a revoked key")
                } catch MemberClient.CallError.problem(let status, let type, _, _, _) {
                    // Refused either when authenticating (no grant to check the signature against) or when deciding.
                    #expect(
                        status == 403 && (type.hasSuffix("denied-no-grant") || type.hasSuffix("unknown-key")),
                        "member \(id): \(status) \(type)")
                }
            }
        }
    }

    @Test(
        "with no leader a member answers bounded reads while its state is fresh, and refuses with 503 and the other members once it is stale"
    )
    func boundedReadsExpire() async throws {
        try await withOperator(maxStalenessMilliseconds: 1_500) { cluster, operatorClient, _ in
            let owner = KeyHolder()
            let enrolled = try await register(owner: owner, via: operatorClient)
            let verifier = try verifier(cluster)
            let leader = try await cluster.waitForLeader()
            try await cluster.waitForApplied(enrolled)
            let survivor = cluster.ids.first { $0 != leader } ?? leader
            for id in cluster.ids where id != survivor { cluster.kill(id) }
            let killedAt = ContinuousClock.now
            let token = try await command(
                owner, "unlock", via: cluster.client(survivor), minRevision: enrolled, verifier: verifier)
            #expect(token.consistency == .bounded)
            #expect(
                ContinuousClock.now - killedAt < .milliseconds(1_500),
                "the bounded answer came too late to prove anything")
            try await waitUntil("the survivor's state goes stale", deadlineSeconds: 10) {
                do {
                    _ = try await command(
                        owner, "unlock", via: cluster.client(survivor), minRevision: enrolled, verifier: verifier)
                    return false
                } catch MemberClient.CallError.problem(let status, let type, _, _, _) {
                    return status == 503 && type.hasSuffix("no-fresh-state")
                }
            }
            // Freshness dates from the last leader message, which precedes the kill by up to a few heartbeats.
            #expect(
                ContinuousClock.now - killedAt >= .milliseconds(1_500 - 200), "refused well before the staleness bound")
        }
    }
}
