import RaftCore
import Storage

/// The Raft log and hard state in the node's LMDB environment.
///
/// Entries live in `raft.log` keyed by big-endian index (so key order is index order); the hard state and
/// the compaction boundary live in `raft.meta`. Every `persist` is one LMDB write transaction — the hard
/// state, the truncation of a conflicting suffix and the new entries become durable together or not at all.
/// The state machine shares the environment, so the node runtime can also call `persist(…, in:)` inside a
/// transaction of its own.
public final class LMDBLogStore: RaftLogStore, Sendable {
    public let environment: Environment
    private let log: Database
    private let meta: Database

    static let hardStateKey = Array("hard-state".utf8)
    static let boundaryKey = Array("boundary".utf8)
    static let clusterIDKey = Array("cluster-id".utf8)

    public init(environment: Environment) throws {
        self.environment = environment
        log = try environment.openDatabase("raft.log")
        meta = try environment.openDatabase("raft.meta")
    }

    public func boundary() throws -> LogPosition {
        try environment.read { txn in try boundary(in: txn) }
    }

    public func firstIndex() throws -> LogIndex {
        try boundary().index + 1
    }

    public func lastIndex() throws -> LogIndex {
        try environment.read { txn in try lastIndex(in: txn) }
    }

    public func term(at index: LogIndex) throws -> Term {
        try environment.read { txn in try term(at: index, in: txn) }
    }

    public func entries(in range: ClosedRange<LogIndex>, maxBytes: Int) throws -> [Entry] {
        try environment.read { txn in
            let boundary = try boundary(in: txn)
            let last = try lastIndex(in: txn)
            if range.lowerBound <= boundary.index {
                throw LogStoreError.compacted(requested: range.lowerBound, boundary: boundary.index)
            }
            if range.upperBound > last { throw LogStoreError.unavailable(requested: range.upperBound, lastIndex: last) }
            var result: [Entry] = []
            var totalBytes = 0
            var decodeError: (any Error)?
            let keys = KeyRange(from: .bigEndian(range.lowerBound), upTo: .bigEndian(range.upperBound + 1))
            try txn.scan(log, keys) { key, value in
                do {
                    let entry = try LogRecord.decodeEntry(key: key, value: value)
                    guard result.isEmpty || totalBytes + entry.byteCount <= maxBytes else { return .stop }
                    totalBytes += entry.byteCount
                    result.append(entry)
                    return .proceed
                } catch {
                    decodeError = error
                    return .stop
                }
            }
            if let decodeError { throw decodeError }
            guard let first = result.first, first.index == range.lowerBound, result.isContiguousRun else {
                throw LogRecord.Corrupted(what: "entries \(range) are not all present in raft.log")
            }
            return result
        }
    }

    public func hardState() throws -> HardState {
        try environment.read { txn in
            guard let state = try txn.withValue(Self.hardStateKey, in: meta, { $0.map(LogRecord.decodeHardState) })
            else {
                return .initial
            }
            return try state.get()
        }
    }

    /// The cluster this member's state belongs to; `nil` before bootstrap, or on a joining member until it
    /// hears from the cluster.
    public func clusterID() throws -> ClusterID? {
        try environment.read { txn in
            guard let bytes = try txn.get(Self.clusterIDKey, in: meta) else { return nil }
            guard let id = ClusterID(bytes: bytes) else {
                throw LogRecord.Corrupted(what: "the cluster id in raft.meta")
            }
            return id
        }
    }

    /// Stores the cluster id (once: a different id over a stored one is a programmer error — a member
    /// never changes cluster; `restore` writes into an empty directory).
    public func setClusterID(_ id: ClusterID) throws {
        try environment.write { txn in try setClusterID(id, in: txn) }
    }

    /// `setClusterID(_:)` inside the caller's write transaction.
    public func setClusterID(_ id: ClusterID, in txn: borrowing WriteTransaction) throws {
        if let stored = try txn.get(Self.clusterIDKey, in: meta) {
            precondition(stored == id.bytes, "a member's cluster id never changes (stored \(stored), new \(id))")
            return
        }
        try txn.put(id.bytes, for: Self.clusterIDKey, in: meta)
    }

    public func persist(hardState: HardState?, entries: [Entry]) throws {
        try environment.write { txn in try persist(hardState: hardState, entries: entries, in: txn) }
    }

    /// `persist(hardState:entries:)` inside the caller's write transaction.
    public func persist(hardState: HardState?, entries: [Entry], in txn: borrowing WriteTransaction) throws {
        if let first = entries.first {
            let boundary = try boundary(in: txn)
            let last = try lastIndex(in: txn)
            guard entries.isContiguousRun, first.index > boundary.index, first.index <= last + 1 else {
                throw LogStoreError.invalidAppend(
                    firstIndex: first.index, storedFirstIndex: boundary.index + 1, storedLastIndex: last)
            }
            if first.index <= last {
                try txn.delete(KeyRange(from: .bigEndian(first.index)), in: log)
            }
            for entry in entries {
                try txn.put(LogRecord.encode(entry), for: .bigEndian(entry.index), in: log)
            }
        }
        if let hardState {
            try txn.put(LogRecord.encode(hardState), for: Self.hardStateKey, in: meta)
        }
    }

    public func compact(through index: LogIndex) throws {
        try environment.write { txn in try compact(through: index, in: txn) }
    }

    /// `compact(through:)` inside the caller's write transaction.
    public func compact(through index: LogIndex, in txn: borrowing WriteTransaction) throws {
        let boundary = try boundary(in: txn)
        guard index > boundary.index else { return }
        let term = try term(at: index, in: txn)
        try txn.delete(KeyRange(from: .bigEndian(boundary.index + 1), upTo: .bigEndian(index + 1)), in: log)
        try txn.put(LogRecord.encode(LogPosition(index: index, term: term)), for: Self.boundaryKey, in: meta)
    }

    public func restore(toSnapshot snapshot: LogPosition) throws {
        try environment.write { txn in try restore(toSnapshot: snapshot, in: txn) }
    }

    /// `restore(toSnapshot:)` inside the caller's write transaction — the one that installs the snapshot's
    /// state, so a crash leaves either the old log and state or the new ones.
    public func restore(toSnapshot snapshot: LogPosition, in txn: borrowing WriteTransaction) throws {
        let boundary = try boundary(in: txn)
        let last = try lastIndex(in: txn)
        let holdsSnapshot = snapshot.index > boundary.index && snapshot.index <= last
        if try holdsSnapshot && term(at: snapshot.index, in: txn) == snapshot.term {
            try txn.delete(
                KeyRange(from: .bigEndian(boundary.index + 1), upTo: .bigEndian(snapshot.index + 1)), in: log)
        } else {
            try txn.removeAll(in: log)
        }
        try txn.put(LogRecord.encode(snapshot), for: Self.boundaryKey, in: meta)
    }

    private func boundary<A>(in txn: borrowing Transaction<A>) throws -> LogPosition {
        guard let boundary = try txn.withValue(Self.boundaryKey, in: meta, { $0.map(LogRecord.decodePosition) }) else {
            return .origin
        }
        return try boundary.get()
    }

    private func lastIndex<A>(in txn: borrowing Transaction<A>) throws -> LogIndex {
        var last: LogIndex?
        var decodeError: (any Error)?
        try txn.scan(log, reverse: true, limit: 1) { key, _ in
            do { last = try LogRecord.decodeIndex(key) } catch { decodeError = error }
            return .stop
        }
        if let decodeError { throw decodeError }
        return try last ?? boundary(in: txn).index
    }

    private func term<A>(at index: LogIndex, in txn: borrowing Transaction<A>) throws -> Term {
        let boundary = try boundary(in: txn)
        if index == boundary.index { return boundary.term }
        if index < boundary.index { throw LogStoreError.compacted(requested: index, boundary: boundary.index) }
        let term = try txn.withValue(.bigEndian(index), in: log) { value in value.map(LogRecord.decodeTerm) }
        guard let term else { throw LogStoreError.unavailable(requested: index, lastIndex: try lastIndex(in: txn)) }
        return try term.get()
    }
}
