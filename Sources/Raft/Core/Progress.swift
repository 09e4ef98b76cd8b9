/// How the leader is currently replicating to one follower (etcd's tracker states).
public enum ReplicationState: Sendable, Equatable {
    /// The leader does not know where the follower's log matches: one append per heartbeat interval
    /// until an acknowledgement says where it is.
    case probe
    /// The follower's log is known to match: appends are pipelined within the inflight bounds.
    case replicate
    /// The follower needs entries that are compacted away: the runtime is streaming it a snapshot.
    /// No appends until it reports the snapshot installed, or `snapshotTimeoutTicks` pass.
    case snapshot
}

/// The leader's view of one follower (Raft Figure 2, `nextIndex` and `matchIndex`).
struct Progress: Sendable, Equatable {
    /// Highest index known to be replicated on the follower.
    var match: LogIndex = 0
    /// Index of the next entry to send.
    var next: LogIndex
    var state: ReplicationState = .probe
    /// In probe state, whether the one probe for this heartbeat interval has gone out.
    var probeSent = false
    var inflights: Inflights
    /// Whether the follower was heard from since the last CheckQuorum round.
    var recentActive = false
    /// In snapshot state: the index of the snapshot being sent, and ticks since it was asked for.
    var pendingSnapshotIndex: LogIndex = 0
    var snapshotElapsedTicks = 0

    init(next: LogIndex, options: RaftOptions) {
        self.next = next
        self.inflights = Inflights(maxMessages: options.maxInflightMessages, maxBytes: options.maxInflightBytes)
    }

    /// Whether the leader must hold off sending appends (it may still send heartbeats).
    var isPaused: Bool {
        switch state {
        case .probe: probeSent
        case .replicate: inflights.isFull
        case .snapshot: true
        }
    }

    mutating func becomeProbe() {
        state = .probe
        next = match + 1
        probeSent = false
        inflights.reset()
    }

    mutating func becomeSnapshot(index: LogIndex) {
        state = .snapshot
        pendingSnapshotIndex = index
        snapshotElapsedTicks = 0
        inflights.reset()
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        probeSent = false
        inflights.reset()
    }

    /// Records an acknowledgement up to `index`; returns false if it was stale.
    mutating func acknowledge(through index: LogIndex) -> Bool {
        next = max(next, index + 1)
        guard index > match else { return false }
        match = index
        probeSent = false
        return true
    }

    /// Records that an append ending at `lastIndex` was sent, advancing `next` optimistically when pipelining.
    mutating func sent(lastIndex: LogIndex, entryCount: Int, bytes: Int) {
        switch state {
        case .replicate:
            if entryCount > 0 {
                next = lastIndex + 1
                inflights.add(lastIndex: lastIndex, bytes: bytes)
            }
        case .probe:
            probeSent = true
        case .snapshot:
            preconditionFailure("no appends while a snapshot is being sent")
        }
    }

    /// Moves `next` back after a rejection of the append whose previous index was `rejected`.
    /// `resumeAfter` is the leader's best guess of the last matching index (from the follower's hint).
    /// Returns false when the rejection is stale (answers an append that is no longer relevant).
    mutating func backtrack(rejected: LogIndex, resumeAfter: LogIndex) -> Bool {
        switch state {
        case .replicate:
            guard rejected > match else { return false }
            next = match + 1
            return true
        case .probe:
            guard next - 1 == rejected else { return false }
            next = max(min(rejected, resumeAfter + 1), match + 1)
            probeSent = false
            return true
        case .snapshot:
            // Answers to appends sent before the snapshot; the snapshot settles where the follower stands.
            return false
        }
    }
}
