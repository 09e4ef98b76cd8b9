import Raft
import Testing

/// Snapshots and log compaction (Raft §7): who gets a snapshot, when one may be installed, what a
/// follower keeps.
@Suite("Raft snapshots")
struct SnapshotTests {
    static var options: RaftOptions {
        var options = RaftOptions()
        options.retainedEntriesForSlowFollowers = 0
        options.snapshotThresholdEntries = 5
        options.snapshotTimeoutTicks = 4
        return options
    }

    /// n1 leads; n3 missed `count` commands; n1 and n2 compacted past them.
    static func clusterWithCompactedLeader(missing count: Int) -> ElasticCluster {
        var cluster = ElasticCluster(voters: [1, 2, 3], options: options)
        cluster.campaign(1)
        cluster.isolated = [NodeID(3)]
        cluster.commitCommands(count, at: 1)
        cluster.snapshot(1)
        cluster.snapshot(2)
        return cluster
    }

    @Test("compaction keeps retainedEntriesForSlowFollowers entries and remembers the snapshot")
    func compactionKeepsRetainedEntries() {
        var options = Self.options
        options.retainedEntriesForSlowFollowers = 3
        var cluster = ElasticCluster(voters: [1], options: options)
        cluster.campaign(1)
        cluster.commitCommands(10, at: 1)
        #expect(cluster[1].shouldSnapshot)
        let applied = cluster[1].appliedIndex
        let compactedThrough = cluster.act(1) { core in
            core.snapshotMetadata(at: applied).flatMap { core.compact(through: applied, snapshot: $0) }
        }
        #expect(compactedThrough == applied - 3)
        #expect(cluster[1].firstIndex == applied - 2)
        #expect(cluster[1].latestSnapshot?.index == applied)
        #expect(!cluster[1].shouldSnapshot)
    }

    @Test("a follower far behind catches up through a snapshot, then from the log")
    func farBehindFollowerCatchesUpThroughSnapshot() {
        var cluster = Self.clusterWithCompactedLeader(missing: 12)
        let snapshot = cluster[1].latestSnapshot
        #expect(cluster[1].firstIndex > 1)
        cluster.isolated = []
        cluster.tick(1)
        cluster.settle()
        #expect(cluster.installed[NodeID(3)] == snapshot.map { [$0] })
        cluster.commitCommands(2, at: 1)
        #expect(cluster[3].commitIndex == cluster[1].commitIndex)
        #expect(cluster[3].lastPosition == cluster[1].lastPosition)
        #expect(cluster[1].replicationStatus(of: NodeID(3))?.state == .replicate)
    }

    @Test("a leader sends no appends while a snapshot is in flight and retries after snapshotTimeoutTicks")
    func leaderRetriesUnconfirmedSnapshot() {
        var cluster = Self.clusterWithCompactedLeader(missing: 8)
        cluster.isolated = []
        cluster.tick(1)
        for _ in 0..<ElasticCluster.maxSettleRounds where cluster.snapshotTransfers.isEmpty {
            cluster.deliverRound()
        }
        #expect(cluster.snapshotTransfers.map(\.send.to) == [NodeID(3)])
        #expect(cluster[1].replicationStatus(of: NodeID(3))?.state == .snapshot)
        cluster.isolated = [NodeID(3)]
        cluster.deliverRound()  // the transfer is lost
        cluster.tick(1, times: Self.options.snapshotTimeoutTicks - 1)
        #expect(cluster.snapshotTransfers.isEmpty, "no retry before the timeout")
        cluster.tick(1)
        #expect(cluster.snapshotTransfers.map(\.send.to) == [NodeID(3)], "retried after the timeout")
    }

    @Test("a snapshot older than the follower's commit is ignored, and the leader is told where it stands")
    func snapshotOlderThanCommitIgnored() throws {
        var cluster = Self.clusterWithCompactedLeader(missing: 6)
        let stale = try #require(cluster[1].latestSnapshot)
        cluster.isolated = []
        cluster.commitCommands(4, at: 1)
        let entriesBefore = cluster[3].entries
        let commitBefore = cluster[3].commitIndex
        let installedBefore = cluster.installed[NodeID(3)]
        #expect(commitBefore > stale.index)
        let leaderTerm = cluster[1].term
        #expect(throws: SnapshotRestoreError.notNewer(snapshotIndex: stale.index, commitIndex: commitBefore)) {
            try cluster.act(3) { core throws(SnapshotRestoreError) in try core.restore(stale, from: NodeID(1), term: leaderTerm) }
        }
        #expect(cluster[3].entries == entriesBefore && cluster[3].commitIndex == commitBefore)
        #expect(cluster.installed[NodeID(3)] == installedBefore)
    }

    @Test("a snapshot from a stale term is refused")
    func snapshotFromStaleTermRefused() throws {
        var cluster = Self.clusterWithCompactedLeader(missing: 6)
        let snapshot = try #require(cluster[1].latestSnapshot)
        let term = cluster[3].term
        #expect(throws: SnapshotRestoreError.staleTerm(snapshotTerm: term - 1, currentTerm: term)) {
            try cluster.act(3) { core throws(SnapshotRestoreError) in try core.restore(snapshot, from: NodeID(1), term: term - 1) }
        }
    }

    @Test("a follower whose log holds the snapshot's last entry keeps the entries after it (Raft §7)")
    func matchingSuffixKeptOnRestore() throws {
        var cluster = ElasticCluster(voters: [1, 2, 3], options: Self.options)
        cluster.campaign(1)
        cluster.commitCommands(6, at: 1)
        let snapshot = try #require(cluster[1].snapshotMetadata(at: cluster[1].appliedIndex - 2))
        // n3 holds entries past the snapshot but has not learned that they committed.
        let follower = ElasticCluster(voters: [1, 2, 3], options: Self.options)
        var core = follower[3]
        let entries = cluster[2].entries
        let append = AppendEntries(previous: .origin, entries: entries, leaderCommit: 0)
        core.step(Message(from: NodeID(1), to: NodeID(3), term: cluster[1].term, body: .appendEntries(append)))
        _ = core.ready()
        let lastBefore = core.lastPosition
        #expect(lastBefore.index == snapshot.index + 2)
        try core.restore(snapshot, from: NodeID(1), term: cluster[1].term)
        #expect(core.firstIndex == snapshot.index + 1)
        #expect(core.lastPosition == lastBefore)
        #expect(core.commitIndex == snapshot.index && core.appliedIndex == snapshot.index)
        let ready = core.ready()
        #expect(ready.snapshotToInstall == snapshot)
        #expect(ready.committedEntries.isEmpty)
    }

    @Test("a restarted member rebuilds from its snapshot and the log after it")
    func restartFromSnapshot() throws {
        var cluster = ElasticCluster(voters: [1], options: Self.options)
        cluster.campaign(1)
        cluster.commitCommands(8, at: 1)
        cluster.snapshot(1)
        let before = cluster[1]
        let snapshot = try #require(before.latestSnapshot)
        let boundary = LogPosition(index: before.firstIndex - 1, term: try #require(before.term(at: before.firstIndex - 1)))
        let restarted = RaftCore(
            id: NodeID(1), configuration: MembershipConfiguration(voters: [NodeID(9)]), options: Self.options,
            hardState: before.hardState, entries: before.entries, boundary: boundary,
            appliedIndex: snapshot.index, snapshot: snapshot, randomSeed: 1
        )
        #expect(restarted.configuration == snapshot.configuration, "the snapshot's configuration beats the bootstrap one")
        #expect(restarted.lastPosition == before.lastPosition && restarted.latestSnapshot == snapshot)
    }
}
