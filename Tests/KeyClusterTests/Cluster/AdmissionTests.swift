import AsyncHTTPClient
import Foundation
import KeyCluster
import NIOCore
import TestSupport
import Testing

/// Overload on a real cluster (design §8): management writes and unlocks have separate in-flight budgets.
@Suite("Admission under overload on a real cluster", .serialized)
struct AdmissionTests {
    static let vin = "WVWZZZ1JZXW000077"
    /// The management budget the members run with here.
    static let maxInFlightWrites = 2
    /// Bytes the stalled uploads announce; they send one byte until the test lets them finish.
    static let stalledBodyBytes = 64

    /// One management request whose body stays incomplete until `finish()`: it holds a write slot.
    struct StalledUpload {
        let continuation: AsyncStream<ByteBuffer>.Continuation
        let response: Task<UInt?, Never>

        init(http: HTTPClient, url: String) {
            let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
            continuation.yield(ByteBuffer(string: "{"))
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.body = .stream(stream, length: .known(Int64(AdmissionTests.stalledBodyBytes)))
            self.continuation = continuation
            response = Task { try? await http.execute(request, timeout: .seconds(60)).status.code }
        }

        /// Sends the rest of the body; the request is unsigned, so it is refused (401) and changes nothing.
        func finish() async -> UInt? {
            continuation.yield(ByteBuffer(string: String(repeating: " ", count: AdmissionTests.stalledBodyBytes - 1)))
            continuation.finish()
            return await response.value
        }
    }

    /// The value of the sample `name{class="…"}` in a Prometheus text exposition.
    func sample(_ metrics: String, _ name: String, class requestClass: String) -> Double? {
        metricSample(metrics, "\(name){class=\"\(requestClass)\"}")
    }

    @Test(
        "with the management budget full, unlocks are still decided; another write gets 429, Retry-After and a problem, and changes nothing"
    )
    func unlocksAdmittedAheadOfWrites() async throws {
        try await withProcessCluster(
            regions: ["eu-west", "us-east", "ap-south"],
            configure: {
                // The stalled uploads all come from this process's one address and are held on purpose: fair
                // shares and the body deadline (tested in AnonymousEdgeTests) are out of the way here.
                $0.admission = AdmissionLimits(
                    maxInFlightWrites: Self.maxInFlightWrites, maxSharePercent: 100, bodyTimeoutMilliseconds: 120_000)
            }
        ) { cluster in
            let caPath = cluster.layout.caCertificatePath
            let operatorHTTP = try MemberClient.makeHTTPClient(
                caCertificatePath: caPath, clientCertificate: try cluster.layout.issueOperator(name: "ops"))
            let stalledHTTP = try MemberClient.makeHTTPClient(caCertificatePath: caPath)
            var uploads: [StalledUpload] = []
            do {
                let leader = try await cluster.waitForLeader()
                let member = cluster.client(leader)
                let vin = try VIN(validating: Self.vin)
                let owner = KeyHolder()
                let operatorClient = ClusterClient(
                    addresses: [(member.address, "eu-west")], preferredRegion: nil, http: operatorHTTP)
                let enrolled = try await operatorClient.registerVehicle(vin, owner: owner.publicKey).revision

                let keysURL = "https://\(member.address)/v1/vehicles/\(Self.vin)/keys"
                uploads = (0..<Self.maxInFlightWrites).map { _ in StalledUpload(http: stalledHTTP, url: keysURL) }
                try await waitUntil("the stalled uploads hold every write slot", deadlineSeconds: 20) {
                    sample(try await member.text("/metrics"), "keycluster_admission_in_flight_requests", class: "write")
                        == Double(Self.maxInFlightWrites)
                }

                // A valid, owner-signed grant beyond the budget: refused before it is read or proposed.
                let guest = KeyHolder()
                let path = "/v1/vehicles/\(Self.vin)/keys?minRevision=\(enrolled)"
                let body = Array(
                    try JSONSerialization.data(withJSONObject: [
                        "publicKey": Data(guest.publicKey.x963).base64EncodedString(), "formFactor": "phone",
                        "role": "driver",
                    ]))
                var request = HTTPClientRequest(url: "https://\(member.address)\(path)")
                request.method = .POST
                request.body = .bytes(ByteBuffer(bytes: body))
                for (name, value) in try owner.signatureHeaders(
                    method: "POST", path: path, vin: vin, command: "grant", body: body, nowUnixMs: WallClock.nowUnixMs()
                ) {
                    request.headers.add(name: name, value: value)
                }
                let refused = try await cluster.http.execute(request, timeout: .seconds(10))
                let problem = try await refused.body.collect(upTo: 1 << 16)
                #expect(refused.status.code == 429)
                #expect(refused.headers.first(name: "retry-after") == "1")
                #expect(refused.headers.first(name: "content-type") == "application/problem+json")
                #expect(
                    String(buffer: problem).contains("urn:keycluster:problem:overloaded"), "\(String(buffer: problem))")

                // Unlocks have their own budget: still decided, by the same member.
                let phone = ClusterClient(
                    addresses: [(member.address, "eu-west")], preferredRegion: nil, http: cluster.http)
                let document = try await phone.command(.unlock, on: vin, as: owner, minRevision: enrolled)
                #expect(document.kind == .unlockToken)

                let metrics = try await member.text("/metrics")
                #expect((sample(metrics, "keycluster_admission_rejected_total", class: "write") ?? 0) >= 1)
                #expect(sample(metrics, "keycluster_admission_rejected_total", class: "unlock") == 0)

                // Once the uploads finish the slots are free again; the refused grant never happened.
                for upload in uploads { #expect(await upload.finish() == 401) }
                uploads = []
                let view = try await phone.vehicle(vin, as: owner, minRevision: enrolled)
                #expect(view.grants.map(\.keyID) == [owner.keyID], "the refused grant changed the vehicle")
                let granted = try await phone.grant(
                    guest.publicKey, role: .driver, on: vin, signedBy: owner, minRevision: enrolled)
                #expect(granted.grant.keyID == guest.keyID)
            } catch {
                for upload in uploads { _ = await upload.finish() }
                try? await operatorHTTP.shutdown()
                try? await stalledHTTP.shutdown()
                throw error
            }
            try await operatorHTTP.shutdown()
            try await stalledHTTP.shutdown()
        }
    }
}
