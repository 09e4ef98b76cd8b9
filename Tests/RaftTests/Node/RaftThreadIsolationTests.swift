import Foundation
import RaftNode
import TestSupport
import Testing

/// Design §11, isolation: request work — which runs on the shared cooperative pool — cannot hold back the
/// node's ticks (heartbeats leave on them), and ordinary writes cannot take the slots revocations need.
@Suite("Raft thread isolation and the revocation lane (in-process, real LMDB)")
struct RaftThreadIsolationTests {
    /// Ticks of 20 ms and an election timeout of 10 ticks: a tick more than 50 ms late counts as late.
    static var options: RaftNodeOptions {
        var options = InProcessCluster.fastOptions
        options.tickInterval = .milliseconds(20)
        return options
    }

    /// How long every thread of the cooperative pool is kept busy: fifty ticks.
    static let blockedPoolMilliseconds = 1_000

    @Test("with every thread of the cooperative pool busy for a second, the node keeps ticking on time")
    func ticksWhilePoolIsBusy() async throws {
        let cluster = try await InProcessCluster(size: 1, options: Self.options)
        do {
            try await ticksOnTime(cluster)
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    private func ticksOnTime(_ cluster: InProcessCluster) async throws {
        let leader = try await cluster.waitForLeader()
        let observer = try #require(cluster.observers[leader])
        // One spinner per pool thread (the pool has one per core): nothing else of the test process's async
        // work runs until they finish — as under a storm of CPU-bound requests. Each spinner notes the
        // node's ticks around its busy second.
        let width = ProcessInfo.processInfo.activeProcessorCount
        let busy = Duration.milliseconds(Self.blockedPoolMilliseconds)
        let spins = await withTaskGroup(of: (before: RecordingObserver.Counts, after: RecordingObserver.Counts).self) {
            group in
            for _ in 0..<width {
                group.addTask {
                    let before = observer.counts
                    let end = ContinuousClock.now + busy
                    while ContinuousClock.now < end {}  // busy on purpose: a CPU-bound request
                    return (before, observer.counts)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let expectedTicks = Self.blockedPoolMilliseconds / 20
        for (before, after) in spins {
            #expect(
                after.ticks - before.ticks >= expectedTicks / 2,
                "ticks while the pool was busy: \(after.ticks - before.ticks) of ~\(expectedTicks)")
            // Not the late-tick threshold (50 ms here): on a loaded machine the OS alone can hold a thread
            // that long. A tick held back by the pool would be late by most of the busy second.
            #expect(
                after.worstTickLateness < .milliseconds(Self.blockedPoolMilliseconds / 4),
                "worst tick lateness \(after.worstTickLateness)")
        }
    }

    @Test(
        "with the ordinary share of pending proposals full, a revocation is still taken; another ordinary write is refused"
    )
    func revocationLaneHasReservedSlots() async throws {
        var options = InProcessCluster.fastOptions
        options.maxPendingProposals = 3
        options.reservedRevocationProposals = 1
        let cluster = try await InProcessCluster(size: 3, options: options)
        do {
            try await reserveHolds(cluster)
        } catch {
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }

    private func reserveHolds(_ cluster: InProcessCluster) async throws {
        let leader = try await cluster.waitForLeader()
        let node = try #require(cluster.nodes[leader])
        _ = try await node.propose(Array("session=warm".utf8))  // registers the session before the quorum goes
        for id in cluster.ids where id != leader { await cluster.stop(id) }
        // Without a quorum nothing commits: proposals wait for their result.
        let ordinary = (0..<2).map { index in Task { try await node.propose(Array("grant=\(index)".utf8)) } }
        try await waitUntil("the ordinary share is taken", deadlineSeconds: 10) {
            await node.status.pendingProposals == 2
        }
        await #expect(throws: ProposeError.overloaded(limit: 2)) { try await node.propose(Array("grant=late".utf8)) }
        let revocation = Task { try await node.propose(Array("revoke=k1".utf8), lane: .revocation) }
        try await waitUntil("the revocation waits for its result, not refused", deadlineSeconds: 10) {
            await node.status.pendingProposals == 3
        }
        await #expect(throws: ProposeError.overloaded(limit: 3)) {
            try await node.propose(Array("revoke=k2".utf8), lane: .revocation)
        }
        await cluster.stop(leader)
        for task in ordinary + [revocation] { _ = await task.result }
    }
}
