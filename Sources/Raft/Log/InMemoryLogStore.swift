import RaftCore

/// A `RaftLogStore` in memory: for tests, the simulator's "disk", and as the reference the LMDB store
/// is checked against by the shared contract suite. Writes are "durable" as soon as they return.
public final class InMemoryLogStore: RaftLogStore {
    private var storedBoundary = LogPosition.origin
    /// Entries after `storedBoundary`, contiguous.
    private var storedEntries: [Entry] = []
    private var storedHardState = HardState.initial

    public init() {}

    public func boundary() -> LogPosition { storedBoundary }

    public func firstIndex() -> LogIndex { storedBoundary.index + 1 }

    public func lastIndex() -> LogIndex { storedEntries.last?.index ?? storedBoundary.index }

    public func term(at index: LogIndex) throws(LogStoreError) -> Term {
        if index == storedBoundary.index { return storedBoundary.term }
        return try entry(at: index).term
    }

    public func entries(in range: ClosedRange<LogIndex>, maxBytes: Int) throws(LogStoreError) -> [Entry] {
        _ = try entry(at: range.lowerBound)
        _ = try entry(at: range.upperBound)
        var taken: [Entry] = []
        var bytes = 0
        for index in range {
            let next = try entry(at: index)
            bytes += next.byteCount
            if !taken.isEmpty && bytes > maxBytes { break }
            taken.append(next)
        }
        return taken
    }

    public func hardState() -> HardState { storedHardState }

    public func persist(hardState: HardState?, entries: [Entry]) throws(LogStoreError) {
        if let first = entries.first {
            guard entries.isContiguousRun, first.index >= firstIndex(), first.index <= lastIndex() + 1 else {
                throw .invalidAppend(
                    firstIndex: first.index, storedFirstIndex: firstIndex(), storedLastIndex: lastIndex())
            }
            storedEntries.removeLast(Int(lastIndex() + 1 - first.index))
            storedEntries.append(contentsOf: entries)
        }
        if let hardState {
            storedHardState = hardState
        }
    }

    public func compact(through index: LogIndex) throws(LogStoreError) {
        guard index > storedBoundary.index else { return }
        let newBoundary = try entry(at: index).position
        storedEntries.removeFirst(Int(index - storedBoundary.index))
        storedBoundary = newBoundary
    }

    /// `Ready.snapshotToInstall`: the log restarts at `snapshot` (see `RaftLogStore.restore(toSnapshot:)`).
    public func restore(toSnapshot snapshot: LogPosition) {
        if snapshot.index > storedBoundary.index, (try? term(at: snapshot.index)) == snapshot.term {
            storedEntries.removeFirst(Int(snapshot.index - storedBoundary.index))
        } else {
            storedEntries.removeAll()
        }
        storedBoundary = snapshot
    }

    private func entry(at index: LogIndex) throws(LogStoreError) -> Entry {
        guard index > storedBoundary.index else {
            throw .compacted(requested: index, boundary: storedBoundary.index)
        }
        guard index <= lastIndex() else {
            throw .unavailable(requested: index, lastIndex: lastIndex())
        }
        let stored = storedEntries[Int(index - storedBoundary.index - 1)]
        precondition(stored.index == index, "stored entries out of order")
        return stored
    }
}
