import RaftCore

/// The runtime's snapshot work in progress, owned by the `RaftNode` actor.
struct NodeSnapshotState {
    /// The newest snapshot recorded durably (what a restart would begin from).
    var durable: SnapshotMetadata?
    /// A snapshot file is being written from a read transaction (one at a time).
    var isTaking = false
    /// Taken and published, compacted in the core; recorded and compacted on disk by the next flush.
    var pendingCompaction: SnapshotCompaction?
    /// The transfer being received from a leader.
    var incoming: SnapshotReceiver?
    /// A received file is being verified and published (chunks are ignored meanwhile).
    var isVerifyingIncoming = false
    /// Transfers being streamed to followers, by follower: the snapshot streamed and its task.
    var outgoing: [NodeID: (snapshot: SnapshotMetadata, task: Task<Void, Never>)] = [:]
    /// Counts for status and metrics.
    var status = SnapshotStatus()
    /// The next snapshot is not taken before this (`RaftNodeOptions.snapshotMaxDutyPercent`), unless the
    /// log has grown past `snapshotForcedAfterEntries`.
    var paceUntil: ContinuousClock.Instant?

    /// When the next snapshot may start, after one that took `took` and ended `now`: snapshots then have
    /// used at most `maxDutyPercent` of the time.
    static func pace(after took: Duration, endedAt now: ContinuousClock.Instant, maxDutyPercent: Int)
        -> ContinuousClock.Instant
    {
        precondition((1...100).contains(maxDutyPercent), "a duty cycle is a percentage")
        return now + took * (100 - maxDutyPercent) / maxDutyPercent
    }

    /// Whether a snapshot the core asks for may start `now`: once its pace allows, or at once when the log
    /// since the latest snapshot holds `forcedAfterEntries` (the pacing must not grow memory without bound).
    static func mayStart(
        now: ContinuousClock.Instant, paceUntil: ContinuousClock.Instant?, entriesSinceSnapshot: UInt64,
        forcedAfterEntries: Int
    ) -> Bool {
        guard let paceUntil, now < paceUntil else { return true }
        return entriesSinceSnapshot >= UInt64(max(forcedAfterEntries, 0))
    }

    init(durable: SnapshotMetadata?) {
        self.durable = durable
    }

    /// The published files still needed: the durable one (a restart begins from it), the core's latest
    /// (being recorded, or accepted and about to be installed, or what the leader streams), the ones
    /// Readies not yet written must install (`pendingInstalls`), and the ones transfers in flight stream.
    func filesToKeep(catalog: SnapshotCatalog, latest: SnapshotMetadata?, pendingInstalls: [SnapshotMetadata]) -> Set<
        String
    > {
        let needed = [durable, latest].compactMap { $0 } + pendingInstalls + outgoing.values.map(\.snapshot)
        return Set(needed.map(catalog.path(of:)))
    }
}
