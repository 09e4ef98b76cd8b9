import RaftCore

/// The durable half of a member: its log and hard state. The runtime writes what each `Ready` says
/// here, and on restart builds the core from what this returns.
///
/// Indexes: entries `firstIndex...lastIndex` are held; `boundary` is the position just before
/// `firstIndex` (compacted away, but its term is kept so the entry after it can still be checked
/// against `AppendEntries.previous`). An empty, never-compacted log has `boundary == .origin`,
/// `firstIndex == 1`, `lastIndex == 0`.
///
/// Implementations are reference types: one store object stands for one on-disk log.
public protocol RaftLogStore: AnyObject {
    /// The last compacted position (`.origin` when nothing was compacted).
    func boundary() throws -> LogPosition
    func firstIndex() throws -> LogIndex
    func lastIndex() throws -> LogIndex
    /// The term at `index`, for `boundary().index...lastIndex()`.
    /// Throws `LogStoreError.compacted` below the boundary and `.unavailable` past the end.
    func term(at index: LogIndex) throws -> Term
    /// Entries in `range` (which must lie within `firstIndex...lastIndex`), stopping before the entry
    /// that would take the total past `maxBytes` — but always at least one, so a large entry can
    /// never block replication.
    func entries(in range: ClosedRange<LogIndex>, maxBytes: Int) throws -> [Entry]
    func hardState() throws -> HardState
    /// Makes one `Ready`'s writes durable in one atomic write: `hardState` when non-nil, and `entries`
    /// appended with any stored suffix from `entries.first.index` on replaced. `entries` must be
    /// contiguous and start within `firstIndex...lastIndex + 1`.
    func persist(hardState: HardState?, entries: [Entry]) throws
    /// Drops entries up to and including `index` (which must be held), keeping its position as the
    /// new boundary. Compacting at or below the current boundary does nothing.
    func compact(through index: LogIndex) throws
    /// Restarts the log at an installed snapshot (`Ready.snapshotToInstall`), in one atomic write: when
    /// the log holds `snapshot` itself (same index and term), the entries after it are kept (Raft §7) and
    /// those up to it dropped; otherwise every entry goes. Either way `snapshot` becomes the boundary.
    func restore(toSnapshot snapshot: LogPosition) throws
}

extension RaftLogStore {
    /// Everything a member needs to restart: pass these to `RaftCore.init`.
    public func restartState() throws -> (hardState: HardState, boundary: LogPosition, entries: [Entry]) {
        let first = try firstIndex()
        let last = try lastIndex()
        let entries = first <= last ? try self.entries(in: first...last, maxBytes: Int.max) : []
        return (try hardState(), try boundary(), entries)
    }
}

/// Why a store refused a request. Each case names what was asked and what the store holds.
public enum LogStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The index lies at or before the compaction boundary (for entries) or before it (for terms).
    case compacted(requested: LogIndex, boundary: LogIndex)
    /// The index lies past the last stored entry.
    case unavailable(requested: LogIndex, lastIndex: LogIndex)
    /// An append whose first index would leave a gap, reach into the compacted prefix, or whose entries
    /// are not contiguous.
    case invalidAppend(firstIndex: LogIndex, storedFirstIndex: LogIndex, storedLastIndex: LogIndex)

    public var description: String {
        switch self {
        case .compacted(let index, let boundary):
            "index \(index) is compacted (boundary \(boundary))"
        case .unavailable(let index, let last):
            "index \(index) is past the last stored index \(last)"
        case .invalidAppend(let first, let storedFirst, let storedLast):
            "append starting at \(first) does not fit the stored log \(storedFirst)...\(storedLast) or is not contiguous"
        }
    }
}
