import Storage

/// Carries out step 1 and 3 of a batch of `Ready`s in one LMDB write transaction — one fsync: the hard
/// state and entries of each, in order, then the committed entries applied to the state machine together
/// with the client sessions and the applied index.
///
/// Persisting and applying in one transaction is what makes a crash harmless: the applied index can never
/// run ahead of, or behind, the state machine's own writes. Runs on the storage writer thread; holds only
/// `Sendable` handles and is deterministic, since the writer may run it twice (map growth).
struct ReadyPersister: Sendable {
    let store: LMDBLogStore
    let sessions: ClientSessions
    let stateMachine: any ReplicatedStateMachine
    private let appliedDatabase: Database

    private static let appliedKey = Array("applied-index".utf8)

    init(store: LMDBLogStore, sessions: ClientSessions, stateMachine: any ReplicatedStateMachine) throws {
        self.store = store
        self.sessions = sessions
        self.stateMachine = stateMachine
        appliedDatabase = try store.environment.openDatabase("raft.applied")
    }

    /// The index of the last entry applied durably (0 for a new member).
    func appliedIndex() throws -> LogIndex {
        try store.environment.read { txn in
            guard let bytes = try txn.get(Self.appliedKey, in: appliedDatabase) else { return 0 }
            return try bytes.withUnsafeBytes { raw in
                var reader = ByteReader(raw)
                return try reader.readBigEndian(LogIndex.self)
            }
        }
    }

    func persist(_ readies: [Ready], in txn: borrowing WriteTransaction) throws -> [ApplyOutcome] {
        var outcomes: [ApplyOutcome] = []
        var lastApplied: LogIndex?
        for ready in readies {
            // This runtime never compacts, so no leader sends it a snapshot and it never calls `restore`;
            // a snapshot to install here would be a programming error, not an operating one.
            precondition(ready.snapshotToInstall == nil, "snapshot install is not supported by this runtime yet")
            if ready.needsPersisting {
                try store.persist(hardState: ready.hardState, entries: ready.entriesToAppend, in: txn)
            }
            for entry in ready.committedEntries {
                precondition(lastApplied.map { entry.index == $0 + 1 } ?? true, "committed entries must be applied in order")
                if let outcome = try apply(entry, in: txn) { outcomes.append(outcome) }
                lastApplied = entry.index
            }
        }
        if let lastApplied {
            try txn.put(.bigEndian(lastApplied), for: Self.appliedKey, in: appliedDatabase)
        }
        return outcomes
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
