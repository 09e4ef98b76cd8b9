import Foundation
import RaftCore
import Storage

/// Snapshots in the running node (Raft §7): taking one and compacting the log, streaming it to a follower
/// behind the leader's first index, and installing one received from a leader.
///
/// Ordering and crash reasoning (see docs/node-runtime.md):
/// - taking: the file is written from one LMDB read transaction, which also reads the applied index, so it
///   holds exactly the state at that index; it is fsynced and published under its final name; only then
///   does the core compact, and the next flush records the snapshot and compacts the durable log in one
///   write transaction. A crash before that write leaves the old record and the full log (the new file is
///   an orphan, removed on start).
/// - sending: only after the Ready that asked is durable, in chunks on the bulk lane (`SnapshotSender`).
/// - installing: chunks are written in order to a file, which is fsynced, verified and published before
///   the core is asked to `restore`; the core accepts only a snapshot newer than its commit index, and the
///   install (state, sessions, applied index, record, log reset) is one write transaction, ordered before
///   the same Ready's entries (`ReadyPersister`). A crash leaves the old state or the new one.
extension RaftNode {
    // MARK: Taking a snapshot and compacting

    /// After a flush: when the core says enough was applied since the latest snapshot, write one in the
    /// background — on a thread of its own (`BlockingFileWork`), never on the actor, the writer thread or
    /// Swift's cooperative pool (a long write there would stall every task of the process).
    func snapshotIfDue() {
        guard !snapshotState.isTaking, failure == nil, !isStopped, core.shouldSnapshot,
            appliedIndex > core.latestSnapshot?.index ?? 0
        else { return }
        guard
            NodeSnapshotState.mayStart(
                now: .now, paceUntil: snapshotState.paceUntil,
                entriesSinceSnapshot: appliedIndex - (core.latestSnapshot?.index ?? 0),
                forcedAfterEntries: max(options.snapshotForcedAfterEntries, options.raft.snapshotThresholdEntries))
        else { return }
        snapshotState.isTaking = true
        let environment = self.environment
        let persister = self.persister
        Task { [weak self] in
            let started = ContinuousClock.now
            let written: Result<(index: LogIndex, bytes: Int), any Error>
            do {
                written = .success(
                    try await BlockingFileWork.run("snapshot-io") {
                        let path = persister.catalog.takingPath
                        let index = try SnapshotFile.write(
                            from: environment, databases: persister.stateDatabases, to: path
                        ) { txn in
                            try persister.appliedIndex(in: txn)
                        }
                        return (index, try SnapshotFile.size(of: path))
                    })
            } catch {
                written = .failure(error)
            }
            await self?.snapshotWritten(written, took: ContinuousClock.now - started)
        }
    }

    /// `took`: from the start of the write to its fsync — what an operator sizes `thresholdEntries` by (a
    /// snapshot's cost grows with the state, not with the entries since the last one).
    private func snapshotWritten(_ written: Result<(index: LogIndex, bytes: Int), any Error>, took: Duration) {
        snapshotState.isTaking = false
        do {
            let (index, bytes) = try written.get()
            // A snapshot installed meanwhile may have made this one old, or moved the log past it.
            guard failure == nil, !isStopped, index > core.latestSnapshot?.index ?? 0,
                let metadata = core.snapshotMetadata(at: index)
            else { return }
            try persister.catalog.publish(persister.catalog.takingPath, as: metadata)
            let compactThrough = core.compact(through: index, snapshot: metadata)
            snapshotState.pendingCompaction = SnapshotCompaction(snapshot: metadata, compactThrough: compactThrough)
            snapshotState.status.taken += 1
            snapshotState.status.lastTaken = .init(bytes: bytes, milliseconds: took.wholeMilliseconds)
            snapshotState.paceUntil = NodeSnapshotState.pace(
                after: took, endedAt: .now, maxDutyPercent: options.snapshotMaxDutyPercent)
            logger.info(
                "snapshot taken",
                metadata: [
                    "index": "\(index)", "compact-through": "\(compactThrough.map { "\($0)" } ?? "-")",
                    "bytes": "\(bytes)",
                    "milliseconds": "\(took.wholeMilliseconds)",
                ])
            flushSoon()
        } catch {
            logger.error("snapshot not taken; the next flush tries again", metadata: ["error": "\(error)"])
        }
    }

    /// After a durable write: count installs, remember what is recorded, remove files no longer needed.
    func snapshotsDurable(installedIn batch: [Ready], compaction: SnapshotCompaction?) {
        let installed = batch.compactMap(\.snapshotToInstall)
        guard let newest = (installed.map(\.index) + [compaction?.snapshot.index ?? 0]).max(), newest > 0 else {
            return
        }
        for snapshot in installed {
            snapshotState.status.installed += 1
            logger.info("snapshot installed", metadata: ["index": "\(snapshot.index)", "term": "\(snapshot.term)"])
        }
        let recorded = installed.last ?? compaction?.snapshot
        if let recorded, recorded.index > snapshotState.durable?.index ?? 0 { snapshotState.durable = recorded }
        let catalog = persister.catalog
        let pendingInstalls = pendingReadies.compactMap(\.snapshotToInstall)
        catalog.removeFiles(
            except: snapshotState.filesToKeep(
                catalog: catalog, latest: core.latestSnapshot, pendingInstalls: pendingInstalls),
            includingTemporary: false)
    }

    /// The applied index once `batch` is durable: the last of its installed snapshots and applied entries.
    static func appliedIndex(after batch: [Ready]) -> LogIndex? {
        var applied: LogIndex?
        for ready in batch {
            if let snapshot = ready.snapshotToInstall { applied = snapshot.index }
            if let last = ready.committedEntries.last { applied = last.index }
        }
        return applied
    }

    // MARK: Streaming to followers

    /// `Ready.snapshotsToSend`, once its Ready is durable: streams the latest snapshot (which may be newer
    /// than the one asked for — as good) to each follower, at most one transfer per follower at a time.
    /// A transfer in flight finishes with the file it started, even when a newer snapshot was taken
    /// meanwhile (its file is kept until the transfer ends): restarting at offset 0 on every newer snapshot
    /// would never finish a large transfer under write load. The core's retry after `snapshotTimeoutTicks`
    /// therefore starts a new transfer only once the running one has ended.
    func startSnapshotTransfers(_ sends: [SnapshotSend]) {
        // Asked by a Ready written while this node led; it may have been deposed since.
        for send in sends where core.role == .leader && send.term == core.term {
            guard let latest = core.latestSnapshot, latest.index >= send.metadata.index else {
                preconditionFailure("the core asks to send only a snapshot it was given")
            }
            if snapshotState.outgoing[send.to] != nil { continue }
            let sender = SnapshotSender(
                path: persister.catalog.path(of: latest), metadata: latest, from: id, to: send.to, term: send.term,
                options: options.snapshots, transport: transport)
            logger.info("streaming snapshot", metadata: ["to": "\(send.to)", "index": "\(latest.index)"])
            let task = Task.detached { [weak self] in
                let completed = await sender.run()
                await self?.snapshotTransferEnded(to: send.to, index: latest.index, completed: completed)
            }
            snapshotState.outgoing[send.to] = (latest, task)
        }
    }

    private func snapshotTransferEnded(to peer: NodeID, index: LogIndex, completed: Bool) {
        guard snapshotState.outgoing[peer]?.snapshot.index == index else { return }
        snapshotState.outgoing[peer] = nil
        if completed {
            snapshotState.status.sent += 1
            // The follower now verifies and installs it: a full timeout for that before any retry.
            core.snapshotTransferProgressing(to: peer)
        }
    }

    /// Cancels the transfers to followers: this node stopped being leader (its chunks, in an old term,
    /// would only compete with the new leader's), stopped, or failed.
    func cancelOutgoingSnapshotTransfers() {
        for (_, transfer) in snapshotState.outgoing { transfer.task.cancel() }
        snapshotState.outgoing.removeAll()
    }

    /// Cancels transfers in both directions (stop, or storage failure).
    func stopSnapshotTransfers() {
        cancelOutgoingSnapshotTransfers()
        snapshotState.incoming?.abandon()
        snapshotState.incoming = nil
    }

    // MARK: Receiving and installing

    /// A chunk from a leader: written in order to the incoming file; the last one starts verification.
    /// A chunk in a term older than this member's or the running transfer's is from a deposed leader and
    /// is ignored — else its offset-0 chunks would keep restarting the current leader's transfer.
    func receiveSnapshotChunk(_ chunk: InstallSnapshotChunk, in message: Message) {
        guard !snapshotState.isVerifyingIncoming,
            message.term >= max(core.term, snapshotState.incoming?.term ?? 0)
        else { return }
        if chunk.offset == 0 {
            snapshotState.incoming?.abandon()
            snapshotState.incoming = nil
            guard chunk.metadata.index > core.commitIndex else {
                // Nothing to gain from the bytes: let the core refuse it now and tell the leader where
                // this member stands, so the leader continues from the log.
                offerReceivedSnapshot(chunk.metadata, from: message.from, term: message.term)
                return
            }
            do {
                snapshotState.incoming = try SnapshotReceiver(
                    first: message, chunk: chunk, path: persister.catalog.incomingPath)
            } catch {
                logger.error("cannot receive a snapshot", metadata: ["error": "\(error)"])
                return
            }
        }
        guard var receiver = snapshotState.incoming else { return }
        switch receiver.add(chunk, from: message, maxSnapshotBytes: options.snapshots.maxSnapshotBytes) {
        case .ignored:
            return
        case .more:
            snapshotState.incoming = receiver
        case .failed(let reason):
            snapshotState.incoming = nil
            logger.warning(
                "snapshot transfer abandoned", metadata: ["from": Self.label(message.from), "reason": "\(reason)"])
        case .complete:
            snapshotState.incoming = nil
            snapshotState.isVerifyingIncoming = true
            let catalog = persister.catalog
            let metadata = receiver.metadata
            Task { [weak self] in
                // Verified and published on a thread of its own, off the actor and the cooperative
                // pool: heartbeats keep being answered meanwhile.
                let published: Result<Void, any Error>
                do {
                    published = .success(
                        try await BlockingFileWork.run("snapshot-io") {
                            try SnapshotFile.synchronize(catalog.incomingPath)
                            let applied = try SnapshotFile.verify(catalog.incomingPath)
                            guard applied == metadata.index else {
                                throw SnapshotFile.Invalid(
                                    reason: "holds state at \(applied), announced \(metadata.index)")
                            }
                            try catalog.publish(catalog.incomingPath, as: metadata)
                        })
                } catch {
                    published = .failure(error)
                }
                await self?.snapshotReceived(metadata, from: receiver.leader, term: receiver.term, published)
            }
        }
    }

    private func snapshotReceived(
        _ metadata: SnapshotMetadata, from leader: NodeID, term: Term, _ published: Result<Void, any Error>
    ) {
        snapshotState.isVerifyingIncoming = false
        guard failure == nil, !isStopped else { return }
        switch published {
        case .success:
            offerReceivedSnapshot(metadata, from: leader, term: term)
        case .failure(let error):
            logger.warning("received snapshot refused", metadata: ["from": Self.label(leader), "error": "\(error)"])
        }
    }

    /// Asks the core to accept a complete snapshot; if it does, the next Ready installs it.
    private func offerReceivedSnapshot(_ metadata: SnapshotMetadata, from leader: NodeID, term: Term) {
        do {
            try core.restore(metadata, from: leader, term: term)
        } catch {
            logger.debug("snapshot not installed", metadata: ["index": "\(metadata.index)", "reason": "\(error)"])
        }
        collectReady()
    }

    // MARK: Status

    var snapshotStatus: SnapshotStatus {
        var status = snapshotState.status
        status.index = core.latestSnapshot?.index ?? 0
        return status
    }
}
