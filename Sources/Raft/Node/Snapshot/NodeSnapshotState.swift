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

    init(durable: SnapshotMetadata?) {
        self.durable = durable
    }

    /// The published files still needed: the durable one (a restart begins from it), the core's latest
    /// (being recorded, or accepted and about to be installed, or what the leader streams), the ones
    /// Readies not yet written must install (`pendingInstalls`), and the ones transfers in flight stream.
    func filesToKeep(catalog: SnapshotCatalog, latest: SnapshotMetadata?, pendingInstalls: [SnapshotMetadata]) -> Set<String> {
        let needed = [durable, latest].compactMap { $0 } + pendingInstalls + outgoing.values.map(\.snapshot)
        return Set(needed.map(catalog.path(of:)))
    }
}
