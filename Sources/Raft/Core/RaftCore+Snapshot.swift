/// Snapshots and log compaction (Raft §7). The runtime owns the bytes; the core decides when a
/// snapshot is sent, whether a received one may be installed, and keeps its log consistent with it.
///
/// The runtime's side, in order:
/// - after applying, when `shouldSnapshot`: save a state-machine snapshot at some applied index `i`
///   with `snapshotMetadata(at: i)`, then call `compact(through: i, snapshot:)` and compact the durable
///   log through the index it returns;
/// - for each `Ready.snapshotsToSend`: stream the saved snapshot's bytes as `.installSnapshotChunk`s;
/// - on receiving every chunk of one snapshot: call `restore(_:from:term:)`; if it accepts, the next
///   `Ready.snapshotToInstall` says to install those bytes (atomically with that Ready's writes).
/// A crash loses a partially received snapshot; the leader retries after `snapshotTimeoutTicks`.
struct SnapshotState: Sendable, Equatable {
    /// The newest snapshot this member holds (saved by its runtime, or installed from a leader).
    var latest: SnapshotMetadata?
    /// Accepted by `restore` and not yet handed to the runtime in a `Ready`.
    var toInstall: SnapshotMetadata?
    /// Leader: snapshot transfers not yet handed to the runtime.
    var toSend: [SnapshotSend] = []

    var hasOutput: Bool { toInstall != nil || !toSend.isEmpty }
}

extension RaftCore {
    /// The newest snapshot this member holds; a leader sends it to followers behind its first index.
    public var latestSnapshot: SnapshotMetadata? { snapshots.latest }

    /// True when `snapshotThresholdEntries` entries were applied since the latest snapshot.
    public var shouldSnapshot: Bool {
        log.appliedIndex - (snapshots.latest?.index ?? 0) >= LogIndex(options.snapshotThresholdEntries)
    }

    /// The metadata for a snapshot of the state machine at `index`: its term and the configuration in
    /// force there. Nil unless `index` has been applied and is still held in the log.
    public func snapshotMetadata(at index: LogIndex) -> SnapshotMetadata? {
        guard index <= log.appliedIndex, index > log.boundary.index, let term = log.term(at: index) else { return nil }
        return SnapshotMetadata(index: index, term: term, configuration: configuration(at: index))
    }

    /// Records a snapshot the runtime saved and drops the in-memory entries it makes unnecessary,
    /// keeping `retainedEntriesForSlowFollowers` before it. Returns the index through which the runtime
    /// must compact its durable log (nil: nothing to compact). A snapshot not newer than the latest is
    /// ignored.
    @discardableResult
    public mutating func compact(through index: LogIndex, snapshot: SnapshotMetadata) -> LogIndex? {
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        precondition(snapshot.index == index, "the snapshot must cover exactly the compacted index")
        guard index > (snapshots.latest?.index ?? 0) else { return nil }
        precondition(snapshot == snapshotMetadata(at: index), "snapshot metadata must come from snapshotMetadata(at:)")
        snapshots.latest = snapshot
        let retained = LogIndex(options.retainedEntriesForSlowFollowers)
        var compactThrough = index > retained ? index - retained : 0
        if let floor = catchUpFloor() {
            // Bounded: a follower that never finishes must not hold the log (and memory) forever.
            let bound = LogIndex(options.maxRetainedEntriesForCatchUp)
            compactThrough = max(min(compactThrough, floor), compactThrough > bound ? compactThrough - bound : 0)
        }
        guard compactThrough > log.boundary.index else { return nil }
        membership.base = configuration(at: compactThrough)
        log.compact(through: compactThrough)
        return compactThrough
    }

    /// As leader, the last index the log may be compacted through without cutting off a follower that is
    /// catching up: one being sent a snapshot needs the entries after that snapshot, and one heard from
    /// recently needs those after its match. Compacting past them would send it a second snapshot of the
    /// whole state as soon as it installs the first (measured at a million grants: a new learner installed
    /// two). Nil when no follower holds the log back.
    private func catchUpFloor() -> LogIndex? {
        guard role == .leader else { return nil }
        return progress.compactMap { peer, follower -> LogIndex? in
            guard peer != id else { return nil }
            if follower.state == .snapshot { return follower.pendingSnapshotIndex }
            return follower.recentActive ? follower.match : nil
        }.min()
    }

    /// A follower's runtime received every chunk of a snapshot that the leader `leader` sent in
    /// `leaderTerm`. Accepts it only when it is newer than everything this member committed: then the
    /// log restarts at the snapshot (keeping a matching suffix, Raft §7), commit and applied jump to its
    /// index, the configuration becomes its own, the leader is told, and the next `Ready` carries
    /// `snapshotToInstall`. A refusal changes nothing the runtime must act on; the leader is told where
    /// this member stands so it can continue from the log.
    public mutating func restore(_ metadata: SnapshotMetadata, from leader: NodeID, term leaderTerm: Term)
        throws(SnapshotRestoreError)
    {
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        guard leaderTerm >= term else { throw .staleTerm(snapshotTerm: leaderTerm, currentTerm: term) }
        guard !(role == .leader && leaderTerm == term), leader != id else { throw .isLeader }
        if leaderTerm > term || role != .follower {
            becomeFollower(term: leaderTerm, leader: leader)
        }
        // A snapshot from the leader is hearing from it, as an append is.
        self.leader = leader
        electionElapsedTicks = 0
        restoreLeaderContact()
        // Never over newer entries: everything through commit is settled and may be applied already.
        guard metadata.index > log.commitIndex else {
            send(to: leader, term: term, .appendEntriesResponse(.accepted(matchIndex: log.commitIndex)))
            throw .notNewer(snapshotIndex: metadata.index, commitIndex: log.commitIndex)
        }
        log.restore(to: metadata.position)
        snapshots.latest = metadata
        snapshots.toInstall = metadata
        membership = MembershipState(base: metadata.configuration, position: metadata.position)
        refreshConfiguration()
        send(to: leader, term: term, .appendEntriesResponse(.accepted(matchIndex: metadata.index)))
    }

    /// Leader: `peer` needs entries that are compacted away; ask the runtime to send the snapshot.
    mutating func sendSnapshot(to peer: NodeID) {
        guard let latest = snapshots.latest else { preconditionFailure("entries are compacted only after a snapshot") }
        progress[peer]?.becomeSnapshot(index: latest.index)
        snapshots.toSend.append(SnapshotSend(to: peer, term: term, metadata: latest))
    }

    /// Leader: the runtime is still streaming the snapshot to `peer`, or has just finished: the retry
    /// timer starts again. The timeout is for a transfer that was lost; one in progress is not lost, and a
    /// large state takes longer to stream, verify and install than any fixed timeout — a retry then would
    /// stream a second (newer) snapshot that the follower, once past the first, installs as well.
    public mutating func snapshotTransferProgressing(to peer: NodeID) {
        guard role == .leader, progress[peer]?.state == .snapshot else { return }
        progress[peer]?.snapshotElapsedTicks = 0
    }

    /// Leader: a transfer that has not been confirmed within `snapshotTimeoutTicks` is retried (via
    /// probing, which sends the snapshot again if the follower still needs it).
    mutating func tickSnapshotTransfers() {
        for peer in replicationPeers {
            guard var peerProgress = progress[peer], peerProgress.state == .snapshot else { continue }
            peerProgress.snapshotElapsedTicks += 1
            let timedOut = peerProgress.snapshotElapsedTicks >= options.snapshotTimeoutTicks
            if timedOut {
                peerProgress.becomeProbe()
            }
            progress[peer] = peerProgress
            if timedOut {
                sendAppend(to: peer, allowEmpty: true)
            }
        }
    }
}
