import Foundation
import KeyCluster
import TestSupport
import Testing

/// Snapshot every 20 applied entries, keep 5, stream in 4 KiB chunks: a short test compacts several times
/// and a transfer takes several chunks.
func snapshotEagerly(_ configuration: inout NodeConfiguration) {
    configuration.snapshots = NodeConfiguration.Snapshots(
        thresholdEntries: 20, retainedEntries: 5, maxChunkBytes: 4_096)
}

@Suite("Snapshots and compaction on a real cluster", .serialized)
struct SnapshotProcessTests {
    @Test(
        "a follower down while the leader compacts past it catches up through a snapshot; nothing lost, nothing applied twice"
    )
    func followerCatchesUpThroughSnapshot() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"], configure: snapshotEagerly) {
            cluster in
            let leader = try await cluster.waitForLeader()
            let follower = try #require(cluster.ids.first { $0 != leader })
            try await cluster.waitForApplied(try await cluster.put("before", "0", via: leader))
            let followerApplied = try await cluster.status(follower).appliedIndex
            cluster.kill(follower)
            var acknowledged: [String: String] = ["before": "0"]
            var increments = (attempted: 0, acknowledged: 0)
            for sequence in 1...60 {
                if (try? await cluster.put("k\(sequence)", "\(sequence)", via: leader)) != nil {
                    acknowledged["k\(sequence)"] = "\(sequence)"
                }
                if sequence.isMultiple(of: 2) {
                    increments.attempted += 1
                    if (try? await cluster.increment("c", via: leader)) != nil { increments.acknowledged += 1 }
                }
            }
            let leaderStatus = try await cluster.status(leader)
            #expect(
                (leaderStatus.snapshotIndex ?? 0) > followerApplied + 5,
                "the leader must have compacted past the follower")

            try cluster.start(follower)
            try await cluster.waitForCatchUp()
            let caughtUp = try await cluster.status(follower)
            #expect(caughtUp.snapshotsInstalled == 1, "the follower must catch up through a snapshot")
            #expect((caughtUp.snapshotIndex ?? 0) > followerApplied)
            try await waitUntil("the follower's metrics show the install") {
                (try? await cluster.client(follower).text("/metrics")).flatMap {
                    metricSample($0, "keycluster_raft_snapshots_installed_total")
                } == 1
            }
            for member in cluster.ids {
                for (key, value) in acknowledged {
                    #expect(try await cluster.value(key, on: member) == value, "member \(member) lacks \(key)")
                }
                let counter = try await cluster.counter("c", on: member)
                #expect(counter >= UInt64(increments.acknowledged), "member \(member) lost increments")
                #expect(counter <= UInt64(increments.attempted), "member \(member) applied an increment twice")
            }
        }
    }

    @Test("a member that compacted its log restarts (SIGKILL) and serves the same state")
    func compactedMemberRestarts() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"], configure: snapshotEagerly) {
            cluster in
            let leader = try await cluster.waitForLeader()
            var last: UInt64 = 0
            for sequence in 1...40 { last = try await cluster.put("k\(sequence)", "\(sequence)", via: leader) }
            try await cluster.waitForApplied(last)
            let before = try await cluster.status(leader)
            #expect((before.snapshotsTaken ?? 0) >= 1)
            cluster.kill(leader)
            try cluster.start(leader)
            try await waitUntil("the restarted member answers") { (try? await cluster.status(leader)) != nil }
            let restarted = try await cluster.status(leader)
            #expect(restarted.appliedIndex >= last && (restarted.snapshotIndex ?? 0) >= (before.snapshotIndex ?? 0))
            for sequence in 1...40 { #expect(try await cluster.value("k\(sequence)", on: leader) == "\(sequence)") }
            let newLeader = try await cluster.waitForLeader()
            try await cluster.waitForApplied(try await cluster.put("after", "1", via: newLeader))
            #expect(try await cluster.value("after", on: leader) == "1")
        }
    }
}
