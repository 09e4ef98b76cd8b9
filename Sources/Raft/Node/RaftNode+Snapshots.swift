import Foundation
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
    /// background (never on the actor or the writer thread, so the Ready pipeline keeps running).
    func snapshotIfDue() {
        guard !snapshotState.isTaking, failure == nil, !isStopped, core.shouldSnapshot,
              appliedIndex > core.latestSnapshot?.index ?? 0 else { return }
        snapshotState.isTaking = true
        let environment = self.environment
        let persister = self.persister
        Task.detached { [weak self] in
            let written = Result {
                try SnapshotFile.write(from: environment, databases: persister.stateDatabases, to: persister.catalog.takingPath) { txn in
                    try persister.appliedIndex(in: txn)
                }
            }
            await self?.snapshotWritten(written)
        }
    }

    private func snapshotWritten(_ written: Result<LogIndex, any Error>) {
        snapshotState.isTaking = false
        do {
            let index = try written.get()
            // A snapshot installed meanwhile may have made this one old, or moved the log past it.
            guard failure == nil, !isStopped, index > core.latestSnapshot?.index ?? 0,
                  let metadata = core.snapshotMetadata(at: index) else { return }
            try persister.catalog.publish(persister.catalog.takingPath, as: metadata)
            let compactThrough = core.compact(through: index, snapshot: metadata)
            snapshotState.pendingCompaction = SnapshotCompaction(snapshot: metadata, compactThrough: compactThrough)
            snapshotState.status.taken += 1
            logger.info("snapshot taken", metadata: ["index": "\(index)", "compact-through": "\(compactThrough.map { "\($0)" } ?? "-")"])
            flushSoon()
        } catch {
            logger.error("snapshot not taken; the next flush tries again", metadata: ["error": "\(error)"])
        }
    }

    /// After a durable write: count installs, remember what is recorded, remove files no longer needed.
    func snapshotsDurable(installedIn batch: [Ready], compaction: SnapshotCompaction?) {
        let installed = batch.compactMap(\.snapshotToInstall)
        guard let newest = (installed.map(\.index) + [compaction?.snapshot.index ?? 0]).max(), newest > 0 else { return }
        for snapshot in installed {
            snapshotState.status.installed += 1
            logger.info("snapshot installed", metadata: ["index": "\(snapshot.index)", "term": "\(snapshot.term)"])
        }
        let recorded = installed.last ?? compaction?.snapshot
        if let recorded, recorded.index > snapshotState.durable?.index ?? 0 { snapshotState.durable = recorded }
        let catalog = persister.catalog
        catalog.removeFiles(except: snapshotState.filesToKeep(catalog: catalog, latest: core.latestSnapshot), includingTemporary: false)
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
    func startSnapshotTransfers(_ sends: [SnapshotSend]) {
        for send in sends {
            guard let latest = core.latestSnapshot, latest.index >= send.metadata.index else {
                preconditionFailure("the core asks to send only a snapshot it was given")
            }
            if let running = snapshotState.outgoing[send.to], running.index >= latest.index { continue }
            snapshotState.outgoing[send.to]?.task.cancel()
            let sender = SnapshotSender(
                path: persister.catalog.path(of: latest), metadata: latest, from: id, to: send.to, term: send.term,
                options: options.snapshots, transport: transport)
            logger.info("streaming snapshot", metadata: ["to": "\(send.to)", "index": "\(latest.index)"])
            let task = Task.detached { [weak self] in
                let completed = await sender.run()
                await self?.snapshotTransferEnded(to: send.to, index: latest.index, completed: completed)
            }
            snapshotState.outgoing[send.to] = (latest.index, task)
        }
    }

    private func snapshotTransferEnded(to peer: NodeID, index: LogIndex, completed: Bool) {
        guard snapshotState.outgoing[peer]?.index == index else { return }
        snapshotState.outgoing[peer] = nil
        if completed { snapshotState.status.sent += 1 }
    }

    /// Cancels transfers in both directions (stop, or storage failure).
    func stopSnapshotTransfers() {
        for (_, transfer) in snapshotState.outgoing { transfer.task.cancel() }
        snapshotState.outgoing.removeAll()
        snapshotState.incoming?.abandon()
        snapshotState.incoming = nil
    }

    // MARK: Receiving and installing

    /// A chunk from a leader: written in order to the incoming file; the last one starts verification.
    func receiveSnapshotChunk(_ chunk: InstallSnapshotChunk, in message: Message) {
        guard !snapshotState.isVerifyingIncoming else { return }
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
                snapshotState.incoming = try SnapshotReceiver(first: message, chunk: chunk, path: persister.catalog.incomingPath)
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
            logger.warning("snapshot transfer abandoned", metadata: ["from": "\(message.from)", "reason": "\(reason)"])
        case .complete:
            snapshotState.incoming = nil
            snapshotState.isVerifyingIncoming = true
            let catalog = persister.catalog
            let metadata = receiver.metadata
            Task.detached { [weak self] in
                // Verified and published off the actor: heartbeats keep being answered meanwhile.
                let published = Result {
                    let applied = try SnapshotFile.verify(catalog.incomingPath)
                    guard applied == metadata.index else {
                        throw SnapshotFile.Invalid(reason: "holds state at \(applied), announced \(metadata.index)")
                    }
                    try catalog.publish(catalog.incomingPath, as: metadata)
                }
                await self?.snapshotReceived(metadata, from: receiver.leader, term: receiver.term, published)
            }
        }
    }

    private func snapshotReceived(_ metadata: SnapshotMetadata, from leader: NodeID, term: Term, _ published: Result<Void, any Error>) {
        snapshotState.isVerifyingIncoming = false
        guard failure == nil, !isStopped else { return }
        switch published {
        case .success:
            offerReceivedSnapshot(metadata, from: leader, term: term)
        case .failure(let error):
            logger.warning("received snapshot refused", metadata: ["from": "\(leader)", "error": "\(error)"])
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
