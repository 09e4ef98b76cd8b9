import RaftCore

/// A broken invariant, with enough detail to start debugging from the trace.
struct SimulationFailure: Error, CustomStringConvertible {
    let invariant: String
    let detail: String

    var description: String { "\(invariant): \(detail)" }
}

/// The safety properties of Raft (Figure 3), checked against everything any member ever holds,
/// commits or applies. Checks are incremental: each entry is checked when it enters a log, is
/// handed out as committed, or is applied, so checking after every step stays cheap.
struct SafetyChecker {
    private struct Fingerprint: Equatable {
        let kind: EntryKind
        let payload: [UInt8]
        let previousTerm: Term
    }

    private struct CommittedEntry {
        let entry: Entry
        /// A term no earlier than the one in which the entry was committed: leaders of later terms
        /// must hold it (Leader Completeness).
        var commitTerm: Term
    }

    private var leaderOfTerm: [Term: NodeID] = [:]
    private var fingerprints: [LogPosition: Fingerprint] = [:]
    /// Committed entries by index - 1; committed indexes always form a prefix of the log.
    private var committed: [CommittedEntry] = []
    /// Applied entries by index - 1, across all members.
    private var applied: [Entry] = []

    var committedCount: Int { committed.count }

    /// Election Safety: at most one leader per term.
    mutating func checkElectionSafety(_ cores: [RaftCore]) throws(SimulationFailure) {
        for core in cores where core.role == .leader {
            if let known = leaderOfTerm[core.term], known != core.id {
                throw SimulationFailure(
                    invariant: "election safety", detail: "\(known) and \(core.id) both led term \(core.term)")
            }
            leaderOfTerm[core.term] = core.id
        }
    }

    /// Checks what a member just handed out: entries entering its log, entries it says are committed,
    /// and, when it just became leader, that it holds every committed entry.
    ///
    /// `durableCopies` counts the members whose disk holds an entry: a committed entry must be durable
    /// on a majority, or a crash of that many members could lose it.
    mutating func observe(_ ready: Ready, of core: RaftCore, leaders: [RaftCore], durableCopies: (Entry) -> Int)
        throws(SimulationFailure)
    {
        for entry in ready.entriesToAppend {
            try checkLogMatching(entry, previousTerm: core.term(at: entry.index - 1) ?? 0, holder: core.id)
        }
        for entry in ready.committedEntries {
            let isNew = try recordCommitted(entry, observedInTerm: core.term, by: core.id, leaders: leaders)
            let copies = durableCopies(entry)
            let majority = core.configuration.voters.count / 2 + 1
            if isNew && copies < majority {
                throw SimulationFailure(
                    invariant: "durability", detail: "\(core.id) committed \(entry) but only \(copies) disks hold it")
            }
        }
        if let snapshot = ready.snapshotToInstall {
            try checkSnapshot(snapshot, installedBy: core.id)
        }
        if ready.roleChange?.role == .leader {
            try checkLeaderCompleteness(core)
        }
    }

    /// State Machine Safety: no two members apply different entries at one index.
    mutating func observeApplied(_ entry: Entry, by node: NodeID) throws(SimulationFailure) {
        let slot = Int(entry.index) - 1
        precondition(slot <= applied.count, "entries are applied in order from the first")
        if slot == applied.count {
            applied.append(entry)
        } else if applied[slot] != entry {
            throw SimulationFailure(
                invariant: "state machine safety", detail: "\(node) applied \(entry) where \(applied[slot]) was applied"
            )
        }
    }

    /// Log Matching: entries with the same index and term have the same content and the same
    /// predecessor term — so, inductively, identical prefixes.
    private mutating func checkLogMatching(_ entry: Entry, previousTerm: Term, holder: NodeID) throws(SimulationFailure)
    {
        let fingerprint = Fingerprint(kind: entry.kind, payload: entry.payload, previousTerm: previousTerm)
        if let known = fingerprints[entry.position] {
            guard known == fingerprint else {
                throw SimulationFailure(
                    invariant: "log matching",
                    detail:
                        "\(holder) holds a different entry at \(entry.position) (previous term \(previousTerm) vs \(known.previousTerm))"
                )
            }
        } else {
            fingerprints[entry.position] = fingerprint
        }
    }

    /// Returns whether `entry` was first seen committed now.
    private mutating func recordCommitted(_ entry: Entry, observedInTerm: Term, by node: NodeID, leaders: [RaftCore])
        throws(SimulationFailure) -> Bool
    {
        let slot = Int(entry.index) - 1
        precondition(slot <= committed.count, "commit is handed out in index order")
        if slot < committed.count {
            guard committed[slot].entry == entry else {
                throw SimulationFailure(
                    invariant: "state machine safety",
                    detail: "\(node) committed \(entry) where \(committed[slot].entry) was committed")
            }
            committed[slot].commitTerm = min(committed[slot].commitTerm, observedInTerm)
            return false
        }
        committed.append(CommittedEntry(entry: entry, commitTerm: observedInTerm))
        for leader in leaders where leader.term > observedInTerm && !Self.holds(leader, entry) {
            throw SimulationFailure(
                invariant: "leader completeness",
                detail: "leader \(leader.id) of term \(leader.term) lacks \(entry), committed by term \(observedInTerm)"
            )
        }
        return true
    }

    /// Whether `core` holds `entry`: in its log, or compacted into its snapshot. Entries before the
    /// compaction boundary are judged by the boundary itself, which is checked like any held entry
    /// (by Log Matching, equal boundary positions mean equal prefixes).
    private static func holds(_ core: RaftCore, _ entry: Entry) -> Bool {
        entry.index < core.firstIndex - 1 || core.term(at: entry.index) == entry.term
    }

    /// A snapshot covers committed entries only, and ends at the committed entry of its index.
    private func checkSnapshot(_ snapshot: SnapshotMetadata, installedBy node: NodeID) throws(SimulationFailure) {
        let slot = Int(snapshot.index) - 1
        guard slot < committed.count, committed[slot].entry.term == snapshot.term else {
            throw SimulationFailure(
                invariant: "snapshot safety",
                detail: "\(node) installs \(snapshot), which does not end at a committed entry")
        }
    }

    /// Leader Completeness: a leader holds every entry committed in an earlier term.
    private func checkLeaderCompleteness(_ leader: RaftCore) throws(SimulationFailure) {
        for committedEntry in committed where committedEntry.commitTerm < leader.term {
            let entry = committedEntry.entry
            guard Self.holds(leader, entry) else {
                throw SimulationFailure(
                    invariant: "leader completeness",
                    detail:
                        "new leader \(leader.id) of term \(leader.term) lacks \(entry), committed by term \(committedEntry.commitTerm)"
                )
            }
        }
    }
}
