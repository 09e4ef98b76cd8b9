import RaftCore
import RaftNode
import Storage
import TestSupport
import Testing

@Suite("Raft node runtime: snapshots and compaction (in-process network, real LMDB)")
struct RaftNodeSnapshotTests {
    func command(_ key: String, _ value: String) -> [UInt8] { Array("\(key)=\(value)".utf8) }

    /// Snapshot every 20 entries, keep 5, and send in 512-byte chunks, so a short test compacts several
    /// times and a transfer takes many chunks. No catch-up floor: a follower stopped a moment ago still
    /// counts as recently heard until the next check-quorum round, and the floor would then keep the log
    /// for it — these tests would pass or fail on that timing (they did, in CI). The floor has its own
    /// scenario test (SnapshotTests).
    static var snapshottingOptions: RaftNodeOptions {
        var options = InProcessCluster.fastOptions
        options.raft.snapshotThresholdEntries = 20
        options.raft.retainedEntriesForSlowFollowers = 5
        options.raft.maxRetainedEntriesForCatchUp = 0
        options.snapshots.maxChunkBytes = 512
        return options
    }

    @Test(
        "a follower that was down while the leader compacted catches up through a snapshot, applies nothing twice, and restarts from it"
    )
    func followerCatchesUpThroughSnapshot() async throws {
        let cluster = try await InProcessCluster(size: 3, options: Self.snapshottingOptions)
        do {
            let leader = try await cluster.waitForLeader()
            let leaderNode = try #require(cluster.nodes[leader])
            let follower = try #require(cluster.ids.first { $0 != leader })
            _ = try await leaderNode.propose(command("k", "v0"))
            await cluster.stop(follower)
            for value in 1..<80 { _ = try await leaderNode.propose(command("k", "v\(value)")) }
            // Snapshots are written in the background: wait for the second one, do not race it.
            try await waitUntil("the leader took two snapshots", deadlineSeconds: 20) {
                await leaderNode.status.snapshots.taken >= 2
            }
            let leaderStatus = await leaderNode.status
            #expect(leaderStatus.snapshots.index > 20, "the leader compacted past what the follower holds")
            try await cluster.start(follower)
            let last = try await leaderNode.propose(command("k", "v80")).revision
            try await cluster.waitForApplied(last)
            let expected = (0...80).map { "v\($0)" }
            for id in cluster.ids { #expect(try cluster.values(of: "k", on: id) == expected, "node \(id)") }
            let caughtUp = try #require(cluster.nodes[follower])
            // One install, or two when the leader compacted past the first while it streamed (a transfer
            // finishes with the file it started).
            #expect(await caughtUp.status.snapshots.installed >= 1)

            // Restart it: it begins from the installed snapshot and its log after it.
            await cluster.stop(follower)
            try await cluster.start(follower)
            let restarted = try #require(cluster.nodes[follower])
            #expect(await restarted.status.appliedIndex >= last)
            #expect(await restarted.status.snapshots.index > 0)
            #expect(try cluster.values(of: "k", on: follower) == expected)
            let after = try await leaderNode.propose(command("k", "v81")).revision
            try await cluster.waitForApplied(after)
            #expect(try cluster.values(of: "k", on: follower) == expected + ["v81"])
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test("a deposed leader's snapshot chunks (older term, offset 0) do not restart the current leader's transfer")
    func staleTermChunksAreIgnored() async throws {
        let cluster = try await InProcessCluster(size: 3, options: Self.snapshottingOptions)
        do {
            let leader = try await cluster.waitForLeader()
            let leaderNode = try #require(cluster.nodes[leader])
            let follower = try #require(cluster.ids.first { $0 != leader })
            let deposed = try #require(cluster.ids.first { $0 != leader && $0 != follower })
            await cluster.stop(follower)
            // Values long enough that the snapshot takes many 512-byte chunks.
            let values = (0..<60).map { "v\($0)-" + String(repeating: "x", count: 200) }
            var last: LogIndex = 0
            for value in values { last = try await leaderNode.propose(command("k", value)).revision }
            // After every chunk the leader sends, a forged chunk from a "deposed leader" one term older
            // restarts the transfer at offset 0 — unless the follower ignores older terms.
            cluster.network.addAfterEachMessage { message in
                guard case .installSnapshotChunk(let chunk) = message.body, message.term > 0 else { return [] }
                let stale = InstallSnapshotChunk(metadata: chunk.metadata, offset: 0, data: chunk.data, isLast: false)
                return [
                    Message(from: deposed, to: message.to, term: message.term - 1, body: .installSnapshotChunk(stale))
                ]
            }
            try await cluster.start(follower)
            try await cluster.waitForApplied(last)
            #expect(await (cluster.nodes[follower]?.status.snapshots.installed ?? 0) >= 1)
            #expect(try cluster.values(of: "k", on: follower) == values)
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test("a leader that compacted restarts with the same state, from its snapshot and the rest of its log")
    func compactedNodeRestartsWithSameState() async throws {
        let cluster = try await InProcessCluster(size: 3, options: Self.snapshottingOptions)
        do {
            let leader = try await cluster.waitForLeader()
            let leaderNode = try #require(cluster.nodes[leader])
            var last: LogIndex = 0
            for value in 0..<50 { last = try await leaderNode.propose(command("k", "v\(value)")).revision }
            try await cluster.waitForApplied(last)
            for id in cluster.ids { await cluster.stop(id) }
            for id in cluster.ids { try await cluster.start(id) }
            let expected = (0..<50).map { "v\($0)" }
            for id in cluster.ids {
                let status = try #require(await cluster.nodes[id]?.status)
                #expect(status.snapshots.index >= 20 && status.appliedIndex >= last, "node \(id): \(status)")
                #expect(try cluster.values(of: "k", on: id) == expected, "node \(id)")
            }
            let newLeader = try await cluster.waitForLeader()
            let revision = try #require(try await cluster.nodes[newLeader]?.propose(command("k", "v50"))).revision
            try await cluster.waitForApplied(revision)
            for id in cluster.ids { #expect(try cluster.values(of: "k", on: id) == expected + ["v50"]) }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }
}
