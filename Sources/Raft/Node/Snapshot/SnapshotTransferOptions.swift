import RaftCore
import RaftTransport

/// Bounds of snapshot transfer between members. Chunks go in the peer transport's bulk lane, so heartbeats
/// and votes (control lane) are never queued behind them.
public struct SnapshotTransferOptions: Sendable {
    /// Snapshot bytes per chunk message; well below the transport's `maxFrameBytes` (8 MiB by default).
    public var maxChunkBytes = 1 << 20
    /// A leader stops reading its file while this many bytes already wait in a follower's send queue, so
    /// one transfer holds at most this much memory (plus one chunk) and never fills the queue appends use.
    public var maxQueuedBytesPerPeer = 4 << 20
    /// How often a paused transfer looks at the queue again.
    public var queuePollInterval: Duration = .milliseconds(5)
    /// A follower refuses a transfer larger than this (it would not fit its disk budget).
    public var maxSnapshotBytes = 16 << 30

    public init() {}

    func validate() {
        precondition(
            maxChunkBytes >= 1 && maxChunkBytes <= PeerFrameFormat.defaultMaxFrameBytes / 2,
            "maxChunkBytes must leave room in a frame")
        precondition(maxQueuedBytesPerPeer >= maxChunkBytes, "maxQueuedBytesPerPeer must hold a chunk")
        precondition(maxSnapshotBytes >= 1, "maxSnapshotBytes must be positive")
    }
}

/// What a member has done with snapshots: the newest it holds and counts since the process started.
public struct SnapshotStatus: Sendable, Equatable {
    /// Index of the newest snapshot held (taken here or installed from a leader); 0 when none.
    public var index: LogIndex = 0
    /// Snapshots this member took (and compacted its log after).
    public var taken = 0
    /// Snapshots received from a leader and installed — the proof that a member caught up through one.
    public var installed = 0
    /// Snapshot transfers this member streamed to followers to the last chunk.
    public var sent = 0
    /// The newest snapshot this member wrote since it started: its size and how long it took.
    public var lastTaken: Taken?

    public struct Taken: Sendable, Equatable {
        public var bytes: Int
        public var milliseconds: Int64
    }

    public init() {}
}
