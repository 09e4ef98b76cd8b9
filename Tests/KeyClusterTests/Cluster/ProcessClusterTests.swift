import Foundation
import KeyCluster
import TestSupport
import Testing

@Suite("Cluster of real keycluster processes", .serialized)
struct ProcessClusterTests {
    @Test(
        "a cluster of 3 or 5 members elects a leader, and writes through every member reach every member",
        arguments: [3, 5])
    func writesThroughAnyMember(size: Int) async throws {
        let regions = ["eu-west", "us-east", "ap-south", "eu-west", "us-east"].prefix(size).map { $0 }
        try await withProcessCluster(regions: regions) { cluster in
            _ = try await cluster.waitForLeader()
            var last: UInt64 = 0
            for id in cluster.ids {
                last = max(last, try await cluster.put("k\(id)", "v\(id)", via: id))
            }
            try await cluster.waitForApplied(last)
            for member in cluster.ids {
                for writer in cluster.ids { #expect(try await cluster.value("k\(writer)", on: member) == "v\(writer)") }
            }
        }
    }

    @Test("the leader is SIGKILLed under write load; a new leader takes over and no acknowledged write is lost")
    func leaderKilledUnderLoad() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let leader = try await cluster.waitForLeader()
            let writers = cluster.ids.filter { $0 != leader }
            let acknowledged = try await withThrowingTaskGroup(of: [String: String].self) { group in
                for writer in writers {
                    group.addTask {
                        var acked: [String: String] = [:]
                        let deadline = ContinuousClock.now + .seconds(20)
                        var sequence = 0
                        // Write until 40 writes after the kill were acknowledged by this writer.
                        while acked.count < 80 && ContinuousClock.now < deadline {
                            sequence += 1
                            let key = "w\(writer)-\(sequence)"
                            if (try? await cluster.put(key, "\(sequence)", via: writer)) != nil {
                                acked[key] = "\(sequence)"
                            }
                        }
                        return acked
                    }
                }
                try await waitUntil("some writes before the kill") {
                    (try? await cluster.status(leader).appliedIndex) ?? 0 > 20
                }
                cluster.kill(leader)
                return try await group.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
            }
            #expect(acknowledged.count >= 100, "too few writes were acknowledged: \(acknowledged.count)")
            let newLeader = try await cluster.waitForLeader()
            #expect(newLeader != leader)
            try cluster.start(leader)
            let marker = try await cluster.put("after-restart", "1", via: newLeader)
            try await cluster.waitForApplied(marker)
            for member in cluster.ids {
                for (key, value) in acknowledged {
                    #expect(try await cluster.value(key, on: member) == value, "member \(member) lost \(key)")
                }
            }
        }
    }
}

@Suite("Cluster members stop cleanly and apply exactly once", .serialized)
struct ProcessClusterShutdownTests {
    @Test(
        "SIGTERM stops a member cleanly (exit 0); after kills and restarts every increment is applied at most once and every acknowledged one is kept"
    )
    func sigtermAndExactlyOnce() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let leader = try await cluster.waitForLeader()
            let followers = cluster.ids.filter { $0 != leader }
            let counts = try await withThrowingTaskGroup(of: (attempted: Int, acknowledged: Int).self) { group in
                for writer in cluster.ids {
                    group.addTask {
                        var attempted = 0
                        var acknowledged = 0
                        for _ in 0..<60 {
                            attempted += 1
                            if (try? await cluster.increment("c", via: writer)) != nil { acknowledged += 1 }
                        }
                        return (attempted, acknowledged)
                    }
                }
                try await waitUntil("increments under way") { (try? await cluster.counter("c", on: leader)) ?? 0 >= 20 }
                let terminated = try #require(cluster.kill(followers[0], signal: SIGTERM))
                #expect(terminated == .exited(0))
                // Back to three members before the leader dies, so a majority stays up throughout.
                try cluster.start(followers[0])
                try await waitUntil("the restarted member caught up") {
                    (try? await cluster.status(followers[0]).appliedIndex) ?? 0
                        >= (try? await cluster.status(leader).commitIndex) ?? .max
                }
                cluster.kill(leader, signal: SIGKILL)
                return try await group.reduce(into: (attempted: 0, acknowledged: 0)) {
                    $0.attempted += $1.attempted
                    $0.acknowledged += $1.acknowledged
                }
            }
            try cluster.start(leader)
            let newLeader = try await cluster.waitForLeader()
            let revision = try await cluster.put("settled", "1", via: newLeader)
            try await cluster.waitForApplied(revision)
            for member in cluster.ids {
                let value = try await cluster.counter("c", on: member)
                #expect(value >= UInt64(counts.acknowledged), "member \(member) lost acknowledged increments")
                #expect(value <= UInt64(counts.attempted), "member \(member) applied an increment twice")
            }
        }
    }
}

@Suite("Leadership transfer on a real cluster", .serialized)
struct LeadershipTransferProcessTests {
    struct Transferred: Decodable { var leader: UInt64 }

    @Test("an operator moves leadership to a named member; every member follows it and writes go on")
    func operatorTransfersLeadership() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let leader = try await cluster.waitForLeader()
            let target = cluster.ids.first { $0 != leader } ?? leader
            let http = try MemberClient.makeHTTPClient(
                caCertificatePath: cluster.layout.caCertificatePath,
                clientCertificate: try cluster.layout.issueOperator(name: "ops"))
            do {
                let answer = try await MemberClient(address: cluster.client(leader).address, http: http)
                    .post("/v1/cluster/transfer-leader", body: Array("{\"to\":\(target)}".utf8), as: Transferred.self)
                #expect(answer.leader == target)
                #expect(try await cluster.waitForLeader() == target)
                let revision = try await cluster.put("after-transfer", "1", via: leader)
                try await cluster.waitForApplied(revision)
                // Without an operator certificate the same call is refused.
                await #expect(throws: MemberClient.CallError.self) {
                    _ = try await cluster.client(target).post(
                        "/v1/cluster/transfer-leader", body: Array("{\"to\":\(leader)}".utf8), as: Transferred.self)
                }
            } catch {
                try? await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }
    }
}

@Suite("Observability endpoints on a real cluster", .serialized)
struct ObservabilityProcessTests {
    @Test("/metrics shows Raft term, indexes, storage commits and request counts; /readyz and /openapi.yaml answer")
    func metricsReadyAndDocument() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let leader = try await cluster.waitForLeader()
            let revision = try await cluster.put("observed", "1", via: leader)
            try await cluster.waitForApplied(revision)
            let client = cluster.client(leader)
            // Gauges refresh every second; wait until they show this member leading and the write applied.
            try await waitUntil("metrics refreshed after the write") {
                let metrics = try await client.text("/metrics")
                return metrics.contains("keycluster_raft_is_leader 1.0")
                    && metrics.contains("keycluster_raft_applied_index \(Double(revision))")
            }
            let metrics = try await client.text("/metrics")
            for name in [
                "keycluster_raft_term", "keycluster_raft_commit_index", "keycluster_storage_commits_total",
                "keycluster_http_requests_total", "keycluster_build_info",
            ] {
                #expect(metrics.contains(name), "missing \(name)")
            }
            #expect(try await client.text("/readyz").contains("\"ready\":true"))
            #expect(try await client.text("/openapi.yaml").hasPrefix("openapi: 3.1.0"))
        }
    }
}
