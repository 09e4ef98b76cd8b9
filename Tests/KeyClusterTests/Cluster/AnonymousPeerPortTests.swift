import AsyncHTTPClient
import Foundation
import KeyCluster
import KeyClusterTooling
import RaftTransport
import TestSupport
import Testing

/// Issue 12 item 6 on a real cluster: strangers holding idle connections on every peer port cannot keep
/// the members apart (design §9: on the peer port only verified members hold slots), nor fill their logs.
@Suite("The peer port against anonymous connections", .serialized)
struct AnonymousPeerPortTests {
    /// Idle connections held on each member's peer port (the old table held 64, verified or not).
    static let idleConnectionsPerMember = 70
    /// Where they come from: 7 each from 10 addresses, within the per-source cap (8) but together over the
    /// unverified budget (32), so the members' own connections (from 127.0.0.1) must take idle strangers'
    /// places.
    static let strangerHosts = (2...11).map { "127.0.0.\($0)" }
    /// How long the cluster may take, under the flood, to agree on a leader after a restart, and to commit
    /// a write once it has (test timing: elections in 200–400 ms).
    static let recoveryDeadlineSeconds = 20.0
    /// The peer-port lines a stranger can cause (refusals, evictions, handshake deadlines, broken connections).
    static let strangerLineMarkers = [
        "refusing connection", "refusing peer connection", "closing the oldest silent unverified connection",
        "closing connection on error",
    ]

    @Test(
        "70 idle connections on every peer port, reopened as they close: members restarted one by one and all at once rejoin, agree on a leader and commit writes; the logs stay bounded"
    )
    func idleConnectionsOnEveryPeerPort() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let clusterStarted = ContinuousClock.now
            var starts = Dictionary(uniqueKeysWithValues: cluster.ids.map { ($0, 1) })
            _ = try await cluster.waitForLeader()
            var floods: [SilentConnectionFlood] = []
            let operatorHTTP = try MemberClient.makeHTTPClient(
                caCertificatePath: cluster.layout.caCertificatePath,
                clientCertificate: try cluster.layout.issueOperator(name: "ops"))
            do {
                for id in cluster.ids {
                    let address = try #require(cluster.member(id)?.peerAddress)
                    let port = try #require(PeerAddress(parsing: address)?.port)
                    floods.append(
                        try SilentConnectionFlood(
                            port: port, count: Self.idleConnectionsPerMember, sourceHosts: Self.strangerHosts))
                }
                let addresses = cluster.ids.compactMap { id in cluster.member(id).map { ($0.clientAddress, $0.region) }
                }
                let operatorClient = ClusterClient(addresses: addresses, preferredRegion: nil, http: operatorHTTP)
                var registrations = 0
                /// Registers a new vehicle (a write through the leader) and returns its revision.
                func register(owner: KeyHolder) async throws -> UInt64 {
                    registrations += 1
                    let vin = try VIN(validating: "PEERPRT" + String(format: "%010d", registrations))
                    let started = ContinuousClock.now
                    let revision = try await operatorClient.registerVehicle(vin, owner: owner.publicKey).revision
                    #expect(
                        ContinuousClock.now - started < .seconds(Self.recoveryDeadlineSeconds),
                        "registration \(registrations) took too long")
                    return revision
                }

                // More than a member keeps for strangers: its budget is full and newcomers take the places of
                // idle ones. Seen from both ends: the flood's connections are closed, and every member (since
                // its last start) has evicted idle strangers and holds no more than its budget.
                let budget = Double(PeerTransportLimits().maxUnverifiedConnections)
                var mostUnverifiedSeen = 0.0
                func waitUntilEveryMemberTurnsStrangersAway(_ when: String) async throws {
                    let turnedAway = floods.map(\.closedByServer)
                    try await waitUntil(
                        "every member turns strangers away \(when)", deadlineSeconds: Self.recoveryDeadlineSeconds
                    ) {
                        guard zip(floods, turnedAway).allSatisfy({ $0.closedByServer > $1 }) else { return false }
                        var evictingEverywhere = true
                        for id in cluster.ids {
                            guard let gauges = try? await Self.peerPortGauges(cluster, id) else { return false }
                            mostUnverifiedSeen = max(mostUnverifiedSeen, gauges.unverifiedConnections)
                            evictingEverywhere = evictingEverywhere && gauges.connectionsEvicted > 0
                        }
                        return evictingEverywhere
                    }
                }
                try await waitUntilEveryMemberTurnsStrangersAway("at first")
                _ = try await Self.waitForAgreedLeader(cluster, "under the flood")
                _ = try await register(owner: KeyHolder())

                // One member at a time: the others' budgets are full when the restarted member must link with
                // them (its dials in their tables, their dials in its own). All must then name one leader — an
                // isolated member stays pre-candidate and names none — and a write must commit.
                for id in cluster.ids {
                    try await waitUntilEveryMemberTurnsStrangersAway("before member \(id) restarts")
                    cluster.kill(id)
                    try cluster.start(id)
                    starts[id, default: 0] += 1
                    _ = try await Self.waitForAgreedLeader(cluster, "after member \(id) restarted")
                    _ = try await register(owner: KeyHolder())
                }

                // Every member at once (the issue's case): no link survives, each must be made through floods.
                for id in cluster.ids { cluster.kill(id) }
                try cluster.startAll()
                for id in cluster.ids { starts[id, default: 0] += 1 }
                let leader = try await Self.waitForAgreedLeader(cluster, "after every member restarted")
                let owner = KeyHolder()
                let guest = KeyHolder()
                let enrolled = try await register(owner: owner)
                let phone = ClusterClient(
                    addresses: addresses, preferredRegion: cluster.region(of: leader), http: cluster.http)
                let vin = try VIN(validating: "PEERPRT" + String(format: "%010d", registrations))
                let granted = try await phone.grant(
                    guest.publicKey, role: .driver, on: vin, signedBy: owner, minRevision: enrolled)
                #expect(granted.grant.keyID == guest.keyID)
                // The flood was held throughout: the restarted members turned strangers away too, and no
                // member ever held more strangers than its budget.
                try await waitUntilEveryMemberTurnsStrangersAway("after every member restarted")
                print("most unverified peer connections any member held: \(mostUnverifiedSeen) (budget \(budget))")
                #expect(mostUnverifiedSeen > 0)
                #expect(mostUnverifiedSeen <= budget)
            } catch {
                for flood in floods { try? await flood.stop() }
                try? await operatorHTTP.shutdown()
                throw error
            }
            for flood in floods { try await flood.stop() }
            try await operatorHTTP.shutdown()

            // Each member process logs at most `maxConnectionWarningsPerSecond` such lines in any one-second
            // window: over the whole run that is the rate times the seconds, plus a window cut short at each
            // start and stop. Without the limit, the churn above logs thousands.
            let seconds = Int((ContinuousClock.now - clusterStarted).components.seconds) + 1
            let perSecond = PeerTransportLimits().maxConnectionWarningsPerSecond
            for id in cluster.ids {
                let log = try String(contentsOfFile: cluster.logPath(of: id), encoding: .utf8)
                let strangerLines = log.split(separator: "\n").filter { line in
                    Self.strangerLineMarkers.contains { line.contains($0) }
                }
                let bound = perSecond * (seconds + 2 * (starts[id] ?? 1))
                print(
                    "member \(id): \(strangerLines.count) stranger lines in \(seconds) s, \(starts[id] ?? 1) starts (bound \(bound))"
                )
                #expect(!strangerLines.isEmpty, "member \(id) logged nothing about the flood")
                #expect(
                    strangerLines.count <= bound,
                    "member \(id) logged \(strangerLines.count) stranger lines in \(seconds) s")
            }
        }
    }

    /// A member's peer-port gauges (`/metrics`, refreshed every second).
    struct PeerPortGauges {
        var unverifiedConnections: Double
        var connectionsEvicted: Double
    }

    static func peerPortGauges(_ cluster: LocalClusterProcesses, _ id: UInt64) async throws -> PeerPortGauges? {
        let metrics = try await cluster.client(id).text("/metrics")
        func sample(_ name: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix("\(name) ") }.flatMap {
                Double($0.dropFirst(name.count + 1))
            }
        }
        guard let unverified = sample("keycluster_peer_unverified_connections"),
            let evicted = sample("keycluster_peer_connections_evicted_total")
        else { return nil }
        return PeerPortGauges(unverifiedConnections: unverified, connectionsEvicted: evicted)
    }

    /// The leader every running member names (so none is cut off), once it says it leads; within
    /// `recoveryDeadlineSeconds`.
    static func waitForAgreedLeader(_ cluster: LocalClusterProcesses, _ when: String) async throws -> UInt64 {
        var agreed: UInt64?
        try await waitUntil("every member names one leader \(when)", deadlineSeconds: recoveryDeadlineSeconds) {
            var leaders = Set<UInt64?>()
            for id in cluster.running { leaders.insert(try? await cluster.status(id).leader) }
            guard leaders.count == 1, let leader = leaders.first ?? nil,
                (try? await cluster.status(leader).role) == "leader"
            else {
                return false
            }
            agreed = leader
            return true
        }
        return try #require(agreed)
    }
}
