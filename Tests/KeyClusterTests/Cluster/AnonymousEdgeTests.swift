import Foundation
import KeyCluster
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import KeyClusterTooling
#endif

/// What an anonymous client can do at the edge (design §9), on a real cluster: nothing reaches the log, and
/// connections that never speak do not keep their slots.
@Suite("The client port against anonymous clients", .serialized)
struct AnonymousEdgeTests {
    /// The idle timeout the members run with here (short, so the test is quick).
    static let idleTimeoutMilliseconds = 500
    /// Silent connections opened at once.
    static let silentConnections = 50

    @Test(
        "without debugRoutes the diagnostic routes do not exist; with them, an anonymous caller is refused and nothing is written"
    )
    func diagnosticRoutes() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"], configure: { $0.debugRoutes = nil }) {
            cluster in
            let leader = try await cluster.waitForLeader()
            for (method, path) in [("PUT", "/debug/kv/x"), ("POST", "/debug/counter/x"), ("GET", "/debug/kv/x")] {
                await #expect(throws: MemberClient.CallError.self, "\(method) \(path)") {
                    _ = try await cluster.client(leader).send(
                        method == "GET" ? .GET : method == "PUT" ? .PUT : .POST, path, body: [], as: WriteResponse.self)
                }
                await #expect(throws: MemberClient.CallError.self, "\(method) \(path) as operator") {
                    _ = try await cluster.operatorClient(leader).send(
                        method == "GET" ? .GET : method == "PUT" ? .PUT : .POST, path, body: [], as: WriteResponse.self)
                }
            }
            let applied = try await cluster.status(leader).appliedIndex
            do {
                _ = try await cluster.client(leader).send(.PUT, "/debug/kv/x", body: [], as: WriteResponse.self)
            } catch MemberClient.CallError.problem(let status, _, _, _, _) {
                #expect(status == 404)
            }
            #expect(try await cluster.status(leader).appliedIndex == applied, "nothing was written")
        }
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let leader = try await cluster.waitForLeader()
            do {
                _ = try await cluster.client(leader).send(
                    .PUT, "/debug/kv/x", body: Array("v".utf8), as: WriteResponse.self)
                Issue.record("an anonymous debug write was accepted")
            } catch MemberClient.CallError.problem(let status, let type, _, _, _) {
                #expect(status == 403 && type.hasSuffix("operator-required"))
            }
            #expect(try await cluster.put("y", "1", via: leader) > 0, "an operator may")
        }
    }

    @Test("TCP connections that never start TLS are closed after the idle timeout")
    func silentConnectionsAreClosed() async throws {
        try await withProcessCluster(
            regions: ["eu-west", "us-east", "ap-south"],
            configure: admission { $0.idleTimeoutMilliseconds = Self.idleTimeoutMilliseconds }
        ) { cluster in
            let leader = try await cluster.waitForLeader()
            let address = try #require(cluster.member(leader)?.clientAddress)
            let port = try #require(address.split(separator: ":").last.flatMap { UInt16($0) })
            let sockets = try (0..<Self.silentConnections).map { _ in try Self.connect(port: port) }
            defer { for socket in sockets { close(socket) } }
            // Each read blocks until the server closes (0 bytes) or the receive timeout (then -1): a deadline.
            for socket in sockets {
                var byte: UInt8 = 0
                #expect(recv(socket, &byte, 1, 0) == 0, "the member closed a silent connection")
            }
            #expect(try await cluster.status(leader).leader != nil, "the member serves on")
        }
    }

    // MARK: Hostile clients while a legitimate one works (issue 12, items 3 and 4)

    /// Silent connections: more than the old 1,024-connection limit, from ten addresses — each below the
    /// per-source cap, so it is the handshake budget (and its eviction of the oldest) that must hold.
    static let floodSources = 10
    static let floodPerSource = 110
    /// Slow-body connections: 600 from six addresses — each below the per-source cap and its fair share
    /// (128 of 512), together more than the unlock budget — so it is the body deadline that must free it.
    static let slowBodySources = 6
    static let slowBodyPerSource = 100
    /// The body deadline the members run with in the slow-body test (short, so the test is quick).
    static let bodyTimeoutMilliseconds = 1_000
    /// Legitimate operations must each succeed within this, retries included …
    static let legitimateDeadline = Duration.seconds(2)
    /// … this often.
    static let requiredSuccessPercent = 95
    static let vin = "WVWZZZ1JZXW000012"

    @Test(
        "~1,100 TCP connections that never start TLS, from other addresses: signed unlocks, grants and revokes on fresh connections go on"
    )
    func silentConnectionFlood() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let leader = try await cluster.waitForLeader()
            let port = try Self.clientPort(of: leader, in: cluster)
            try await Self.withLegitimateClient(cluster, member: leader) { client in
                let flood = try SilentConnectionFlood(
                    port: Int(port), count: Self.floodSources * Self.floodPerSource,
                    sourceHosts: attackerSources(Self.floodSources))
                do {
                    try await waitUntil("the flood holds every handshake slot", deadlineSeconds: 30) {
                        // A look may itself not get through while the flood's first burst is queued: look again.
                        guard let metrics = try? await cluster.client(leader).text("/metrics") else { return false }
                        return metricSample(metrics, "keycluster_http_connections_handshaking")
                            == Double(AdmissionLimits.defaultMaxHandshakingConnections)
                    }
                    await client.expectWorkSucceeds(rounds: 20, changesKeys: true)
                    #expect(
                        flood.closedByServer > 0, "the member closed silent connections and the flood reopened them")
                } catch {
                    try? await flood.stop()
                    throw error
                }
                try await flood.stop()
            }
            try await Self.expectEveryMemberServes(cluster)
        }
    }

    @Test("~600 TLS connections holding an unlock body: the body deadline frees their slots and signed unlocks go on")
    func slowUnlockBodies() async throws {
        try await withProcessCluster(
            regions: ["eu-west", "us-east", "ap-south"],
            configure: admission { $0.bodyTimeoutMilliseconds = Self.bodyTimeoutMilliseconds }
        ) { cluster in
            let leader = try await cluster.waitForLeader()
            let port = try Self.clientPort(of: leader, in: cluster)
            try await Self.withLegitimateClient(cluster, member: leader) { client in
                let head =
                    "POST /v1/vehicles/\(Self.vin)/commands HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                let attack = try await SlowBodyAttack.start(
                    port: Int(port), caCertificatePath: cluster.layout.caCertificatePath,
                    sources: attackerSources(Self.slowBodySources),
                    perSource: Self.slowBodyPerSource, head: head)
                do {
                    try await waitUntil("the slow bodies hold every unlock slot", deadlineSeconds: 10) {
                        metricSample(
                            try await cluster.client(leader).text("/metrics"),
                            #"keycluster_admission_in_flight_requests{class="unlock"}"#)
                            == Double(AdmissionLimits.defaultMaxInFlightUnlocks)
                    }
                    await client.expectWorkSucceeds(rounds: 60, changesKeys: false)
                    try await waitUntil("the member closed every slow body", deadlineSeconds: 10) {
                        attack.openCount == 0
                    }
                    let metrics = try await cluster.client(leader).text("/metrics")
                    let closed =
                        metricSample(metrics, #"keycluster_http_connections_closed_total{reason="body_timeout"}"#) ?? 0
                    #expect(
                        closed >= Double(AdmissionLimits.defaultMaxInFlightUnlocks),
                        "\(closed) connections closed at the body deadline")
                } catch {
                    await attack.stop()
                    throw error
                }
                await attack.stop()
            }
            try await Self.expectEveryMemberServes(cluster)
        }
    }

    @Test(
        "one address holding unlock bodies gets no more than its fair share of the unlock budget; other clients' unlocks go on"
    )
    func oneAddressGetsItsShare() async throws {
        try await withProcessCluster(
            regions: ["eu-west", "us-east", "ap-south"],
            // Only the fair share stands in the way here: no per-source connection cap, a body deadline longer
            // than the test.
            configure: admission { limits in
                limits.maxConnectionsPerSource = limits.maxConnections
                limits.bodyTimeoutMilliseconds = 120_000
            }
        ) { cluster in
            let leader = try await cluster.waitForLeader()
            let port = try Self.clientPort(of: leader, in: cluster)
            try await Self.withLegitimateClient(cluster, member: leader) { client in
                let head =
                    "POST /v1/vehicles/\(Self.vin)/commands HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n"
                let attack = try await SlowBodyAttack.start(
                    port: Int(port), caCertificatePath: cluster.layout.caCertificatePath, sources: attackerSources(1),
                    perSource: Self.slowBodySources * Self.slowBodyPerSource, head: head)
                do {
                    func unlocks(_ metrics: String, _ series: String) -> Int {
                        Int(metricSample(metrics, "keycluster_admission_\(series){class=\"unlock\"}") ?? 0)
                    }
                    var seen = (inFlight: 0, refused: 0, shareRefused: 0)
                    do {
                        try await waitUntil("every slow unlock head was admitted or refused", deadlineSeconds: 10) {
                            let metrics = try await cluster.client(leader).text("/metrics")
                            seen = (
                                unlocks(metrics, "in_flight_requests"), unlocks(metrics, "rejected_total"),
                                unlocks(metrics, "share_rejected_total")
                            )
                            return seen.inFlight + seen.refused + seen.shareRefused == attack.channels.count
                        }
                    } catch {
                        print(
                            "last seen: \(seen.inFlight) in flight, \(seen.refused) refused, \(seen.shareRefused) refused for the share, of \(attack.channels.count) sent; \(attack.openCount) still open"
                        )
                        throw error
                    }
                    await client.expectWorkSucceeds(rounds: 20, changesKeys: false)
                    let metrics = try await cluster.client(leader).text("/metrics")
                    let share = AdmissionLimits.defaultMaxInFlightUnlocks * AdmissionLimits.defaultMaxSharePercent / 100
                    #expect(unlocks(metrics, "in_flight_requests") == share, "the one address holds exactly its share")
                } catch {
                    await attack.stop()
                    throw error
                }
                await attack.stop()
            }
            try await Self.expectEveryMemberServes(cluster)
        }
    }

    /// No member crashed or stopped: each answers its status with a leader (soon: the attack's last
    /// connections may still be queued for accept when it ends).
    static func expectEveryMemberServes(_ cluster: LocalClusterProcesses) async throws {
        for id in cluster.ids {
            try await waitUntil("member \(id) serves with a leader", deadlineSeconds: 10) {
                (try? await cluster.status(id))?.leader != nil
            }
        }
    }

    static func clientPort(of id: UInt64, in cluster: LocalClusterProcesses) throws -> UInt16 {
        let address = try #require(cluster.member(id)?.clientAddress)
        return try #require(address.split(separator: ":").last.flatMap { UInt16($0) })
    }

    /// Runs `body` with an enrolled vehicle's owner using the README's client (signed requests, 429/503
    /// retried with backoff) against `member` only, on a fresh connection per request — as a phone does.
    static func withLegitimateClient(
        _ cluster: LocalClusterProcesses, member id: UInt64, _ body: (LegitimateClient) async throws -> Void
    ) async throws {
        let caPath = cluster.layout.caCertificatePath
        let operatorHTTP = try MemberClient.makeHTTPClient(
            caCertificatePath: caPath, clientCertificate: try cluster.layout.issueOperator(name: "ops"))
        let phoneHTTP = try MemberClient.makeHTTPClient(caCertificatePath: caPath, connectionPerRequest: true)
        do {
            let address = cluster.client(id).address
            let vin = try VIN(validating: Self.vin)
            let owner = KeyHolder()
            let operatorClient = ClusterClient(
                addresses: [(address, "eu-west")], preferredRegion: nil, http: operatorHTTP)
            let enrolled = try await operatorClient.registerVehicle(vin, owner: owner.publicKey).revision
            let phone = ClusterClient(addresses: [(address, "eu-west")], preferredRegion: nil, http: phoneHTTP)
            try await body(LegitimateClient(phone: phone, vin: vin, owner: owner, enrolled: enrolled))
        } catch {
            try? await operatorHTTP.shutdown()
            try? await phoneHTTP.shutdown()
            throw error
        }
        try await operatorHTTP.shutdown()
        try await phoneHTTP.shutdown()
    }

    /// An owner's signed work, timed: each operation counts when it succeeds within `legitimateDeadline`.
    struct LegitimateClient {
        let phone: ClusterClient
        let vin: VIN
        let owner: KeyHolder
        let enrolled: UInt64

        /// `rounds` of an unlock, and (with `changesKeys`) a grant and a revoke; expects at least
        /// `requiredSuccessPercent` of them to succeed within `legitimateDeadline`.
        func expectWorkSucceeds(rounds: Int, changesKeys: Bool) async {
            var outcomes: [(String, Duration?)] = []
            var revision = enrolled
            for round in 0..<rounds {
                outcomes.append(
                    (
                        "unlock \(round)",
                        await timed { _ = try await phone.command(.unlock, on: vin, as: owner, minRevision: revision) }
                    ))
                guard changesKeys else { continue }
                let guest = KeyHolder()
                outcomes.append(
                    (
                        "grant \(round)",
                        await timed {
                            revision = try await phone.grant(
                                guest.publicKey, role: .driver, on: vin, signedBy: owner, minRevision: revision
                            ).revision
                        }
                    ))
                outcomes.append(
                    (
                        "revoke \(round)",
                        await timed {
                            revision = try await phone.change(
                                .revoke, guest.keyID, on: vin, signedBy: owner, minRevision: revision
                            ).revision
                        }
                    ))
            }
            let inTime = outcomes.filter { $0.1.map { $0 <= AnonymousEdgeTests.legitimateDeadline } ?? false }
            let late = outcomes.filter { outcome in !inTime.contains { $0.0 == outcome.0 } }
            #expect(
                inTime.count * 100 >= outcomes.count * AnonymousEdgeTests.requiredSuccessPercent,
                "\(inTime.count) of \(outcomes.count) legitimate operations succeeded within 2 s; late or failed: \(late.map { "\($0.0) \($0.1.map { "\($0)" } ?? "failed")" })"
            )
        }

        /// How long `operation` took, or nil when it failed.
        private func timed(_ operation: () async throws -> Void) async -> Duration? {
            let start = ContinuousClock.now
            do {
                try await operation()
                return ContinuousClock.now - start
            } catch {
                return nil
            }
        }
    }

    /// A TCP connection to 127.0.0.1:`port` that reads with a 10 s deadline.
    static func connect(port: UInt16) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
        return descriptor
    }
}
