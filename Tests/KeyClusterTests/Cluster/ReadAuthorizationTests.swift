import AsyncHTTPClient
import Foundation
import KeyCluster
import TestSupport
import Testing

/// Who may read a vehicle (issue 13, item 1), on a real cluster with clients written from the README: an
/// anonymous caller gets 401 with `WWW-Authenticate`; an owner sees everything; a guest its own grant only,
/// and neither audit nor key list; a driver the key list; a key holder of another vehicle nothing; an
/// operator everything; a replayed signed read 409.
@Suite("Reads of a vehicle are for its key holders and operators", .serialized)
struct ReadAuthorizationTests {
    let api = KeyAuthorizationAPITests()
    static let otherVIN = "WVWZZZ1JZXW000002"

    /// A GET of `path` signed by `holder` (command "read"), or anonymous when `holder` is nil.
    func read(
        _ path: String, as holder: KeyHolder?, vin: String = KeyAuthorizationAPITests.vinText, via client: MemberClient
    ) async throws -> Int {
        let headers =
            try holder?.signatureHeaders(
                method: "GET", path: path, vin: try VIN(validating: vin), command: "read", body: [],
                nowUnixMs: api.now()) ?? []
        do {
            _ = try await client.sendShowingProblems(.GET, path, body: nil, headers: headers, as: IgnoredAnswer.self)
            return 200
        } catch let refusal as MemberClient.Refusal {
            return refusal.status
        }
    }

    struct IgnoredAnswer: Decodable {}

    @Test(
        "anonymous 401; owner all; guest own grant only, no audit or key list; driver key list; another vehicle's owner 403; operator all"
    )
    func readsByRole() async throws {
        try await api.withOperator { cluster, operatorClient, _ in
            let owner = KeyHolder()
            let guest = KeyHolder()
            let driver = KeyHolder()
            let otherOwner = KeyHolder()
            _ = try await api.register(owner: owner, via: operatorClient)
            let otherBody = try JSONSerialization.data(withJSONObject: [
                "vin": Self.otherVIN, "ownerPublicKey": Data(otherOwner.publicKey.x963).base64EncodedString(),
                "ownerFormFactor": "phone",
            ])
            _ = try await operatorClient.post(
                "/v1/vehicles", body: Array(otherBody), as: KeyAuthorizationAPITests.Change.self)
            let leader = try await cluster.waitForLeader()
            let vehicle = "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)"
            for (key, role) in [(guest, "guest"), (driver, "driver")] {
                let revision = try await api.signed(
                    owner, cluster.client(leader), path: "\(vehicle)/keys", command: "grant",
                    body: try api.grantBody(key, role: role, notAfter: role == "guest" ? api.now() + 3_600_000 : nil))
                try await cluster.waitForApplied(revision)
            }
            let member = cluster.client(cluster.ids[1])

            // Anonymous: 401 with the challenge, on every read.
            for path in [vehicle, "\(vehicle)/audit", "\(vehicle)/key-list"] {
                #expect(try await read(path, as: nil, via: member) == 401, "anonymous \(path)")
            }
            var request = HTTPClientRequest(url: "https://\(member.address)\(vehicle)")
            request.method = .GET
            let anonymous = try await cluster.http.execute(request, timeout: .seconds(10))
            #expect(anonymous.headers.first(name: "www-authenticate")?.hasPrefix("KeyCluster-Signature") == true)

            let expectations: [(String, String, KeyHolder, Int)] = [
                (vehicle, "owner", owner, 200), ("\(vehicle)/audit", "owner", owner, 200),
                ("\(vehicle)/key-list", "owner", owner, 200),
                (vehicle, "guest", guest, 200), ("\(vehicle)/audit", "guest", guest, 403),
                ("\(vehicle)/key-list", "guest", guest, 403),
                ("\(vehicle)/key-list", "driver", driver, 200), ("\(vehicle)/audit", "driver", driver, 403),
                (vehicle, "another vehicle's owner", otherOwner, 403),
                ("\(vehicle)/key-list", "another vehicle's owner", otherOwner, 403),
            ]
            for (path, who, holder, status) in expectations {
                #expect(try await read(path, as: holder, via: member) == status, "\(who) reading \(path)")
            }

            // A guest's view holds its own grant only; the owner's and the operator's hold all three.
            let phone = ClusterClient(
                addresses: [(member.address, "us-east")], preferredRegion: nil, http: cluster.http)
            let vin = try VIN(validating: KeyAuthorizationAPITests.vinText)
            #expect(try await phone.vehicle(vin, as: guest).grants.map(\.keyID) == [guest.keyID])
            #expect(
                Set(try await phone.vehicle(vin, as: owner).grants.map(\.keyID)) == [
                    owner.keyID, guest.keyID, driver.keyID,
                ])
            #expect(
                try await cluster.operatorClient(cluster.ids[1]).get(vehicle, as: VehicleView.self).grants.count == 3)

            // A captured signed read, replayed to the same member, is refused.
            let headers = try owner.signatureHeaders(
                method: "GET", path: vehicle, vin: try VIN(validating: KeyAuthorizationAPITests.vinText),
                command: "read", body: [], nowUnixMs: api.now())
            _ = try await member.send(.GET, vehicle, body: nil, headers: headers, as: VehicleView.self)
            do {
                _ = try await member.send(.GET, vehicle, body: nil, headers: headers, as: VehicleView.self)
                Issue.record("a replayed signed read was answered")
            } catch MemberClient.CallError.problem(let status, _, _, _, _) {
                #expect(status == 409)
            }
        }
    }
}
