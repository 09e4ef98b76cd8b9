import RaftCore
import Testing

/// Snapshots and log compaction (Raft §7): who gets a snapshot, when one may be installed, what a
/// follower keeps.
@Suite("Raft snapshots")
struct SnapshotTests {
    static var options: RaftOptions {
        var options = RaftOptions()
        options.retainedEntriesForSlowFollowers = 0
        // These scenarios compact right up to the snapshot even past a follower just cut off (it still
        // counts as recently heard until a CheckQuorum round); the one test of that hold sets its own.
        options.maxRetainedEntriesForCatchUp = 0
        options.snapshotThresholdEntries = 5
        options.snapshotTimeoutTicks = 4
        return options
    }

    /// n1 leads; n3 missed `count` commands; n1 and n2 compacted past them.
    static func clusterWithCompactedLeader(missing count: Int) -> ScenarioCluster {
        var cluster = ScenarioCluster(voters: [1, 2, 3], options: options)
        cluster.campaign(1)
        cluster.isolated = [NodeID(3)]
        cluster.commitCommands(count, at: 1)
        cluster.snapshot(1)
        cluster.snapshot(2)
        return cluster
    }

    /// `clusterWithCompactedLeader(missing: 8)` reconnected, until n1 asks its runtime to send n3 a snapshot.
    static func clusterAskingForTransfer() -> ScenarioCluster {
        var cluster = clusterWithCompactedLeader(missing: 8)
        cluster.isolated = []
        cluster.tick(1)
        for _ in 0..<ScenarioCluster.maxSettleRounds where cluster.snapshotTransfers.isEmpty {
            cluster.deliverRound()
        }
        #expect(cluster.snapshotTransfers.map(\.send.to) == [NodeID(3)])
        #expect(cluster[1].replicationStatus(of: NodeID(3))?.state == .snapshot)
        return cluster
    }

    @Test("compaction keeps retainedEntriesForSlowFollowers entries and remembers the snapshot")
    func compactionKeepsRetainedEntries() {
        var options = Self.options
        options.retainedEntriesForSlowFollowers = 3
        var cluster = ScenarioCluster(voters: [1], options: options)
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

    @Test(
        "a leader compacts no further than a follower being sent a snapshot needs, so it catches up from the log after one install; at most maxRetainedEntriesForCatchUp more"
    )
    func compactionWaitsForAFollowerReceivingASnapshot() throws {
        var options = Self.options
        options.maxRetainedEntriesForCatchUp = 1_000
        var cluster = ScenarioCluster(voters: [1, 2, 3], options: options)
        cluster.campaign(1)
        cluster.isolated = [NodeID(3)]
        cluster.commitCommands(8, at: 1)
        // A CheckQuorum round: n3, cut off, is no longer recently heard, so nothing holds the log for it.
        cluster.tick(1, times: options.electionTimeoutTicks)
        cluster.snapshot(1)
        #expect(cluster[1].firstIndex > 1, "compacted past the silent n3")
        cluster.isolated = []
        cluster.tick(1)
        for _ in 0..<ScenarioCluster.maxSettleRounds where cluster.snapshotTransfers.isEmpty {
            cluster.deliverRound()
        }
        #expect(cluster[1].replicationStatus(of: NodeID(3))?.state == .snapshot)
        let sent = try #require(cluster[1].latestSnapshot)
        // The runtime streams that file (outside the message rounds) while the leader goes on writing and
        // takes another snapshot.
        cluster.isolated = [NodeID(3)]
        cluster.commitCommands(12, at: 1)
        cluster.snapshot(1)
        #expect(try #require(cluster[1].latestSnapshot).index > sent.index)
        #expect(cluster[1].firstIndex <= sent.index + 1, "the entries after the snapshot being sent are kept")
        // The stream completes: n3 installs it and continues from the log — one snapshot, not a second.
        cluster.isolated = []
        let term = cluster[1].term
        try cluster.act(3) { core throws(SnapshotRestoreError) in try core.restore(sent, from: NodeID(1), term: term) }
        cluster.settle()
        cluster.commitCommands(1, at: 1)
        #expect(cluster[3].commitIndex == cluster[1].commitIndex)
        #expect(cluster.installed[NodeID(3)]?.count == 1)

        // The bound: with none allowed beyond the usual retention (these scenarios' options), the leader
        // compacts right up to its snapshot although n3, just cut off, still counts as recently heard.
        let strict = Self.clusterWithCompactedLeader(missing: 8)
        #expect(Self.options.maxRetainedEntriesForCatchUp == 0)
        #expect(strict[1].firstIndex == strict[1].appliedIndex + 1)
    }

    @Test("a leader sends no appends while a snapshot is in flight and retries after snapshotTimeoutTicks")
    func leaderRetriesUnconfirmedSnapshot() {
        var cluster = Self.clusterAskingForTransfer()
        cluster.isolated = [NodeID(3)]
        cluster.deliverRound()  // the transfer is lost
        cluster.tick(1, times: Self.options.snapshotTimeoutTicks - 1)
        #expect(cluster.snapshotTransfers.isEmpty, "no retry before the timeout")
        cluster.tick(1)
        #expect(cluster.snapshotTransfers.map(\.send.to) == [NodeID(3)], "retried after the timeout")
    }

    @Test("no retry while the runtime reports the transfer progressing; a full timeout after it last did")
    func progressingTransferIsNotRetried() {
        var cluster = Self.clusterAskingForTransfer()
        cluster.isolated = [NodeID(3)]
        cluster.deliverRound()  // the stream is still going, outside the message rounds
        for _ in 0..<(3 * Self.options.snapshotTimeoutTicks) {
            cluster.act(1) { $0.snapshotTransferProgressing(to: NodeID(3)) }
            cluster.tick(1)
        }
        #expect(cluster.snapshotTransfers.isEmpty, "no second transfer while the first makes progress")
        #expect(cluster[1].replicationStatus(of: NodeID(3))?.state == .snapshot)
        // The loop's last tick was the first after the last progress.
        cluster.tick(1, times: Self.options.snapshotTimeoutTicks - 2)
        #expect(cluster.snapshotTransfers.isEmpty, "a full timeout after the last progress")
        cluster.tick(1)
        #expect(cluster.snapshotTransfers.map(\.send.to) == [NodeID(3)], "retried once progress stopped")
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
            try cluster.act(3) { core throws(SnapshotRestoreError) in
                try core.restore(stale, from: NodeID(1), term: leaderTerm)
            }
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
            try cluster.act(3) { core throws(SnapshotRestoreError) in
                try core.restore(snapshot, from: NodeID(1), term: term - 1)
            }
        }
    }

    @Test("a follower whose log holds the snapshot's last entry keeps the entries after it (Raft §7)")
    func matchingSuffixKeptOnRestore() throws {
        var cluster = ScenarioCluster(voters: [1, 2, 3], options: Self.options)
        cluster.campaign(1)
        cluster.commitCommands(6, at: 1)
        let snapshot = try #require(cluster[1].snapshotMetadata(at: cluster[1].appliedIndex - 2))
        // n3 holds entries past the snapshot but has not learned that they committed.
        let follower = ScenarioCluster(voters: [1, 2, 3], options: Self.options)
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
        var cluster = ScenarioCluster(voters: [1], options: Self.options)
        cluster.campaign(1)
        cluster.commitCommands(8, at: 1)
        cluster.snapshot(1)
        let before = cluster[1]
        let snapshot = try #require(before.latestSnapshot)
        let boundary = LogPosition(
            index: before.firstIndex - 1, term: try #require(before.term(at: before.firstIndex - 1)))
        let restarted = RaftCore(
            id: NodeID(1), configuration: MembershipConfiguration(voters: [NodeID(9)]), options: Self.options,
            hardState: before.hardState, entries: before.entries, boundary: boundary,
            appliedIndex: snapshot.index, snapshot: snapshot, randomSeed: 1
        )
        #expect(
            restarted.configuration == snapshot.configuration, "the snapshot's configuration beats the bootstrap one")
        #expect(restarted.lastPosition == before.lastPosition && restarted.latestSnapshot == snapshot)
    }
}
