import RaftCore
import Storage

/// Carries out step 1 and 3 of a batch of `Ready`s in one LMDB write transaction — one fsync: for each, in
/// order, the snapshot to install (state, sessions, applied index, snapshot record and log reset), the hard
/// state and entries, then the committed entries applied to the state machine together with the client
/// sessions and the applied index; and last, a log compaction after a snapshot this member took.
///
/// Persisting and applying in one transaction is what makes a crash harmless: the applied index can never
/// run ahead of, or behind, the state machine's own writes. Runs on the storage writer thread; holds only
/// `Sendable` handles and is deterministic, since the writer may run it twice (map growth).
struct ReadyPersister: Sendable {
    let store: LMDBLogStore
    let sessions: ClientSessions
    let stateMachine: any ReplicatedStateMachine
    let catalog: SnapshotCatalog
    private let appliedDatabase: Database

    private static let appliedKey = Array("applied-index".utf8)

    init(
        store: LMDBLogStore, sessions: ClientSessions, stateMachine: any ReplicatedStateMachine,
        catalog: SnapshotCatalog
    ) throws {
        self.store = store
        self.sessions = sessions
        self.stateMachine = stateMachine
        self.catalog = catalog
        appliedDatabase = try store.environment.openDatabase("raft.applied")
    }

    /// What a snapshot carries and an install replaces: the state machine and the client sessions.
    var stateDatabases: [Database] { stateMachine.snapshotDatabases + sessions.databases }

    /// The index of the last entry applied durably (0 for a new member).
    func appliedIndex() throws -> LogIndex {
        try store.environment.read { txn in try appliedIndex(in: txn) }
    }

    func appliedIndex<A>(in txn: borrowing Transaction<A>) throws -> LogIndex {
        guard let bytes = try txn.get(Self.appliedKey, in: appliedDatabase) else { return 0 }
        return try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            return try reader.readBigEndian(LogIndex.self)
        }
    }

    /// `compaction`: a snapshot this member took and published, and the index through which the core
    /// compacted (nil: none yet). Recorded after the Readies, and the log compacted only if no newer
    /// snapshot was recorded meanwhile (an install in this very batch, say).
    /// `observeApply` is told how many entries were applied and the time that took (none: not called).
    func persist(
        _ readies: [Ready], compaction: SnapshotCompaction? = nil, in txn: borrowing WriteTransaction,
        observeApply: (_ entries: Int, _ duration: Duration) -> Void = { _, _ in }
    ) throws -> [ApplyOutcome] {
        var outcomes: [ApplyOutcome] = []
        let clock = ContinuousClock()
        var applyDuration = Duration.zero
        var appliedEntries = 0
        // The exactly-once oracle, independent of client sessions (which would hide a re-applied command):
        // against the durable applied index, every entry is applied once, in order, across batches and
        // restarts. A violation is a runtime bug that would corrupt the state; it stops the process.
        let appliedBefore = try appliedIndex(in: txn)
        var lastApplied = appliedBefore
        for ready in readies {
            if let snapshot = ready.snapshotToInstall {
                // Ready rule: before this Ready's entries, atomically with them. The core accepted it only
                // when newer than its commit index, so it never goes over applied entries.
                precondition(
                    snapshot.index > lastApplied, "snapshot \(snapshot.index) would go back over applied \(lastApplied)"
                )
                try install(snapshot, in: txn)
                lastApplied = snapshot.index
            }
            if ready.needsPersisting {
                try store.persist(hardState: ready.hardState, entries: ready.entriesToAppend, in: txn)
            }
            let applyStart = clock.now
            for entry in ready.committedEntries {
                precondition(
                    entry.index == lastApplied + 1,
                    "entry \(entry.index) handed for applying after \(lastApplied): applied twice or skipped")
                if let outcome = try apply(entry, in: txn) { outcomes.append(outcome) }
                lastApplied = entry.index
            }
            applyDuration += clock.now - applyStart
            appliedEntries += ready.committedEntries.count
        }
        if appliedEntries > 0 { observeApply(appliedEntries, applyDuration) }
        if lastApplied != appliedBefore {
            try txn.put(.bigEndian(lastApplied), for: Self.appliedKey, in: appliedDatabase)
        }
        if let compaction, try catalog.record(compaction.snapshot, in: txn), let through = compaction.compactThrough {
            try store.compact(through: through, in: txn)
        }
        return outcomes
    }

    /// Replaces state and sessions with the received snapshot's (published under its final name before the
    /// core accepted it), records it, and restarts the log at it — all in `txn`, so a crash leaves the old
    /// state or the new one. Idempotent, as the writer may run it twice.
    private func install(_ snapshot: SnapshotMetadata, in txn: borrowing WriteTransaction) throws {
        let applied = try SnapshotFile.install(from: catalog.path(of: snapshot), into: stateDatabases, in: txn)
        guard applied == snapshot.index else {
            throw SnapshotFile.Invalid(reason: "the file for \(snapshot) holds state at \(applied)")
        }
        _ = try catalog.record(snapshot, in: txn)
        try store.restore(toSnapshot: snapshot.position, in: txn)
    }

    private func apply(_ entry: Entry, in txn: borrowing WriteTransaction) throws -> ApplyOutcome? {
        guard entry.kind == .normal else { return nil }
        try sessions.expire(asOf: entry.index, in: txn)
        let envelope: ProposalEnvelope
        do {
            envelope = try ProposalEnvelope(decoding: entry.payload)
        } catch {
            // Only a buggy or foreign proposer writes such an entry; every member skips it the same way.
            return nil
        }
        switch envelope {
        case .registerSession(let nonce):
            try sessions.register(at: entry.index, in: txn)
            return .sessionRegistered(nonce: nonce, session: entry.index)
        case .command(let request, let command):
            switch try sessions.decide(request, in: txn) {
            case .apply:
                let result = try stateMachine.apply(command, at: entry.index, in: txn)
                try sessions.record(request, result: result, at: entry.index, in: txn)
                return .command(request, .applied(result: result, index: entry.index))
            case .duplicate(let result, let index):
                return .command(request, .applied(result: result, index: index))
            case .stale:
                return .command(request, .refused(.staleSequence))
            case .unknownSession:
                return .command(request, .refused(.sessionExpired))
            }
        }
    }
}

/// A snapshot this member took, to be recorded with the log compaction it allows.
struct SnapshotCompaction: Sendable {
    let snapshot: SnapshotMetadata
    /// What `RaftCore.compact(through:snapshot:)` returned: compact the durable log through it.
    let compactThrough: LogIndex?
}
