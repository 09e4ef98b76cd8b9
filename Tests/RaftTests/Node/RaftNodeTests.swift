import RaftCore
import Storage
import TestSupport
import Testing

@Suite("Raft node runtime (in-process network, real LMDB)")
struct RaftNodeTests {
    func command(_ key: String, _ value: String) -> [UInt8] { Array("\(key)=\(value)".utf8) }

    @Test("three nodes elect one leader and a write through any node is applied once on every node")
    func writesThroughAnyNodeApplyEverywhereOnce() async throws {
        let cluster = try await InProcessCluster(size: 3)
        do {
            _ = try await cluster.waitForLeader()
            var revisions: [LogIndex] = []
            for (offset, id) in cluster.ids.enumerated() {
                guard let node = cluster.nodes[id] else { continue }
                let answer = try await node.propose(command("k", "v\(offset)"))
                #expect(answer.result == Array("\(offset + 1)".utf8))
                revisions.append(answer.revision)
            }
            #expect(revisions == revisions.sorted() && Set(revisions).count == revisions.count)
            try await cluster.waitForApplied(revisions.max() ?? 0)
            for id in cluster.ids {
                #expect(try cluster.values(of: "k", on: id) == ["v0", "v1", "v2"])
            }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test("the runtime reports fsyncs, applies, proposals, its own election and each leader it sees to its observer")
    func observerHearsEvents() async throws {
        let cluster = try await InProcessCluster(size: 3)
        do {
            let leader = try await cluster.waitForLeader()
            let node = try #require(cluster.nodes[leader])
            let answer = try await node.propose(command("k", "v"))
            try await cluster.waitForApplied(answer.revision)
            let leaderCounts = try #require(cluster.observers[leader]).counts
            #expect(leaderCounts.electionsStarted >= 1, "the leader campaigned")
            #expect(leaderCounts.leaders.last == leader)
            #expect(leaderCounts.proposalsCommitted == 1 && leaderCounts.proposalsFailed == 0)
            #expect(leaderCounts.storageCommits >= 1 && leaderCounts.appliedEntries >= 1)

            await cluster.stop(leader)
            let next = try await cluster.waitForLeader()
            for id in cluster.ids where id != leader {
                try await waitUntil("\(id) saw \(next) elected after \(leader)") {
                    cluster.observers[id]?.counts.leaders.suffix(2) == [leader, next]
                }
            }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test("a restarted follower keeps what it applied, catches up, and applies nothing twice")
    func restartedFollowerCatchesUpWithoutReapplying() async throws {
        let cluster = try await InProcessCluster(size: 3)
        do {
            let leader = try await cluster.waitForLeader()
            let leaderNode = try #require(cluster.nodes[leader])
            let follower = cluster.ids.first { $0 != leader } ?? leader
            for value in 0..<5 { _ = try await leaderNode.propose(command("k", "a\(value)")) }
            let before = try await leaderNode.propose(command("k", "a5")).revision
            try await cluster.waitForApplied(before)
            await cluster.stop(follower)
            for value in 6..<10 { _ = try await leaderNode.propose(command("k", "a\(value)")) }
            try await cluster.start(follower)
            let last = try await leaderNode.propose(command("k", "a10")).revision
            try await cluster.waitForApplied(last)
            let expected = (0...10).map { "a\($0)" }
            for id in cluster.ids { #expect(try cluster.values(of: "k", on: id) == expected) }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    @Test("after the leader is cut off, a new leader is elected and writes go on; the old leader catches up")
    func leaderIsolationElectsNewLeader() async throws {
        let cluster = try await InProcessCluster(size: 3)
        do {
            let oldLeader = try await cluster.waitForLeader()
            let oldLeaderNode = try #require(cluster.nodes[oldLeader])
            _ = try await oldLeaderNode.propose(command("k", "before"))
            cluster.network.isolate(oldLeader, from: cluster.ids)
            var newLeader: NodeID?
            try await waitUntil("a new leader among the connected majority") {
                for id in cluster.ids where id != oldLeader {
                    if let node = cluster.nodes[id], await node.status.role == .leader { newLeader = id }
                }
                return newLeader != nil
            }
            let newLeaderNode = try #require(newLeader.flatMap { cluster.nodes[$0] })
            let during = try await newLeaderNode.propose(command("k", "during"))
            cluster.network.heal()
            try await cluster.waitForApplied(during.revision)
            for id in cluster.ids { #expect(try cluster.values(of: "k", on: id) == ["before", "during"]) }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }
}

@Suite("Raft node runtime: retried proposals")
struct RaftNodeRetryTests {
    @Test("proposals offered again on every tick (aggressive retry) are still applied exactly once")
    func aggressiveRetriesApplyOnce() async throws {
        var options = InProcessCluster.fastOptions
        options.proposalRetryInterval = .zero
        let cluster = try await InProcessCluster(size: 3, options: options)
        do {
            let leader = try await cluster.waitForLeader()
            let follower = try #require(cluster.nodes[cluster.ids.first { $0 != leader } ?? leader])
            var last: LogIndex = 0
            for value in 0..<30 {
                last = try await follower.propose(Array("k=\(value)".utf8)).revision
            }
            try await cluster.waitForApplied(last)
            for id in cluster.ids { #expect(try cluster.values(of: "k", on: id) == (0..<30).map { "\($0)" }) }
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }
}
