/// The core's in-memory copy of the log, plus the bookkeeping of what has been handed to the runtime
/// for persisting and for applying. Entries through `boundary` have been compacted into a snapshot.
struct RaftLog: Sendable, Equatable {
    /// The last compacted position; the first held entry is `boundary.index + 1`.
    private(set) var boundary: LogPosition
    private(set) var entries: [Entry]
    private(set) var commitIndex: LogIndex
    /// Entries at or after this index have not yet been handed out in a `Ready` for persisting.
    private(set) var firstUnhandedIndex: LogIndex
    /// Entries up to this index have been handed out in a `Ready` for applying.
    private(set) var appliedIndex: LogIndex
    /// Entries up to this index are durable, as far as the runtime has reported (`RaftCore.logDurable`);
    /// never beyond `lastIndex`. A leader counts its own log toward commitment only this far.
    private(set) var durableIndex: LogIndex

    /// Rebuilds the log from what storage holds after a restart: everything there is already durable.
    init(boundary: LogPosition, entries: [Entry], commitIndex: LogIndex, appliedIndex: LogIndex) {
        precondition(entries.isContiguousRun, "stored entries must be contiguous")
        precondition(
            entries.first.map { $0.index == boundary.index + 1 } ?? true, "stored entries must follow the boundary")
        self.boundary = boundary
        self.entries = entries
        let lastIndex = entries.last?.index ?? boundary.index
        precondition(commitIndex <= lastIndex, "a stored commit index beyond the stored log")
        precondition(appliedIndex <= commitIndex, "applied beyond commit")
        precondition(appliedIndex >= boundary.index, "applied before the compaction boundary")
        self.commitIndex = commitIndex
        self.firstUnhandedIndex = lastIndex + 1
        self.appliedIndex = appliedIndex
        self.durableIndex = lastIndex
    }

    var lastPosition: LogPosition { entries.last?.position ?? boundary }
    var lastIndex: LogIndex { lastPosition.index }
    var firstIndex: LogIndex { boundary.index + 1 }

    /// The term at `index`, or nil when it is compacted away or beyond the end.
    func term(at index: LogIndex) -> Term? {
        if index == boundary.index { return boundary.term }
        guard index > boundary.index, index <= lastIndex else { return nil }
        return entries[offset(of: index)].term
    }

    func matches(_ position: LogPosition) -> Bool {
        term(at: position.index) == position.term
    }

    /// Entries in `[from, lastIndex]`, at most `maxCount` and `maxBytes` (but at least one if any exist).
    func entries(from index: LogIndex, maxCount: Int, maxBytes: Int) -> [Entry] {
        precondition(index > boundary.index, "entries requested from the compacted prefix")
        guard index <= lastIndex else { return [] }
        return Self.prefix(entries[offset(of: index)...], maxCount: maxCount, maxBytes: maxBytes)
    }

    /// The largest index at or before `index` whose term is at most `term`: where a log that
    /// disagrees about `term` can be assumed to match at best (used for fast backtracking).
    func lastIndex(atOrBefore index: LogIndex, withTermAtMost term: Term) -> LogIndex {
        var candidate = min(index, lastIndex)
        while candidate > boundary.index, let candidateTerm = self.term(at: candidate), candidateTerm > term {
            candidate -= 1
        }
        return candidate
    }

    /// Appends `newEntries`, replacing any suffix that conflicts with them. Entries already present
    /// with the same term are kept (an old, duplicated append must not truncate newer entries).
    /// Returns false, changing nothing, when the append would replace a committed entry.
    mutating func appendReplacingConflicts(_ newEntries: [Entry]) -> Bool {
        guard let conflict = newEntries.first(where: { !matches($0.position) }) else { return true }
        guard conflict.index > commitIndex else { return false }
        precondition(conflict.index > boundary.index && conflict.index <= lastIndex + 1, "an append must touch the log")
        entries.removeLast(Int(lastIndex + 1 - conflict.index))
        entries.append(contentsOf: newEntries.drop { $0.index < conflict.index })
        firstUnhandedIndex = min(firstUnhandedIndex, conflict.index)
        // The replaced suffix may be on disk, but the entries now at those indexes are not yet.
        durableIndex = min(durableIndex, conflict.index - 1)
        return true
    }

    /// Appends one entry at the end (leader proposals).
    mutating func appendLast(_ entry: Entry) {
        precondition(entry.index == lastIndex + 1 && entry.term >= lastPosition.term, "a leader appends in order")
        entries.append(entry)
    }

    /// The runtime reports the write holding `position` durable: with every write before it, the log is
    /// durable through it. A report for an entry since replaced (the write that replaced it is still to
    /// come) or compacted away changes nothing. Returns whether `durableIndex` moved.
    mutating func markDurable(through position: LogPosition) -> Bool {
        guard position.index > durableIndex, matches(position) else { return false }
        durableIndex = position.index
        return true
    }

    mutating func commit(to index: LogIndex) {
        guard index > commitIndex else { return }
        precondition(index <= lastIndex, "commit beyond the last index")
        commitIndex = index
    }

    /// Entries not yet handed out for persisting; marks them handed out.
    mutating func takeUnpersisted() -> [Entry] {
        guard firstUnhandedIndex <= lastIndex else { return [] }
        let unpersisted = Array(entries[offset(of: firstUnhandedIndex)...])
        firstUnhandedIndex = lastIndex + 1
        return unpersisted
    }

    var hasUnpersisted: Bool { firstUnhandedIndex <= lastIndex }

    var hasUnapplied: Bool { appliedIndex < commitIndex }

    /// Committed entries not yet handed out for applying, within `maxBytes`; marks them handed out.
    mutating func takeCommittedUnapplied(maxBytes: Int) -> [Entry] {
        guard hasUnapplied else { return [] }
        let range = entries[offset(of: appliedIndex + 1)...offset(of: commitIndex)]
        let batch = Self.prefix(range, maxCount: range.count, maxBytes: maxBytes)
        appliedIndex += UInt64(batch.count)
        return batch
    }

    /// Drops held entries through `index` (already applied, so durable and committed), keeping its
    /// position as the boundary. Compacting at or below the boundary does nothing.
    mutating func compact(through index: LogIndex) {
        guard index > boundary.index else { return }
        precondition(index <= appliedIndex, "only applied entries are compacted")
        let newBoundary = entries[offset(of: index)].position
        entries.removeFirst(offset(of: index) + 1)
        boundary = newBoundary
    }

    /// Makes an installed snapshot the log's start: everything through `snapshot` is committed and
    /// applied. If the log holds `snapshot` itself, the entries after it are kept (Raft §7): they may
    /// already count toward a quorum; otherwise the whole log is discarded.
    mutating func restore(to snapshot: LogPosition) {
        precondition(snapshot.index > commitIndex, "a snapshot never rolls back committed entries")
        if matches(snapshot) {
            entries.removeFirst(offset(of: snapshot.index) + 1)
            firstUnhandedIndex = max(firstUnhandedIndex, snapshot.index + 1)
            durableIndex = max(durableIndex, snapshot.index)
        } else {
            entries.removeAll()
            firstUnhandedIndex = snapshot.index + 1
            // Nothing after the snapshot is held; what was durable before is gone with the old log. The
            // install itself is durable with its Ready, which precedes any vote request of this member,
            // so a member never leads while this overstates its disk.
            durableIndex = snapshot.index
        }
        boundary = snapshot
        commitIndex = snapshot.index
        appliedIndex = snapshot.index
    }

    private func offset(of index: LogIndex) -> Int {
        Int(index - boundary.index - 1)
    }

    private static func prefix(_ candidates: ArraySlice<Entry>, maxCount: Int, maxBytes: Int) -> [Entry] {
        var bytes = 0
        var taken: [Entry] = []
        for entry in candidates.prefix(maxCount) {
            bytes += entry.byteCount
            if !taken.isEmpty && bytes > maxBytes { break }
            taken.append(entry)
        }
        return taken
    }
}
