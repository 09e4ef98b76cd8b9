/// What an entry carries. The kind is part of the replicated log so that membership changes
/// (issue 4) travel through the same commit path as commands.
public enum EntryKind: UInt8, Sendable, Equatable {
    /// The empty entry a new leader appends so it can commit entries of earlier terms (Raft §5.4.2, §8).
    case empty
    /// A command for the state machine.
    case normal
    /// A membership configuration change; applied by the core itself once committed (issue 4).
    case configChange
}

/// One log entry. Immutable once appended: a conflicting entry is replaced, never edited.
public struct Entry: Sendable, Equatable, CustomStringConvertible {
    public var index: LogIndex
    public var term: Term
    public var kind: EntryKind
    public var payload: [UInt8]

    public init(index: LogIndex, term: Term, kind: EntryKind, payload: [UInt8] = []) {
        self.index = index
        self.term = term
        self.kind = kind
        self.payload = payload
    }

    public var position: LogPosition { LogPosition(index: index, term: term) }

    /// A fixed charge per entry for its header, so byte bounds also bound counts of empty entries.
    public static let headerBytes = 24

    /// The size charged against byte bounds (message size, in-flight bytes, ready batches).
    public var byteCount: Int { Entry.headerBytes + payload.count }

    public var description: String { "\(index)@\(term)\(kind == .normal ? "" : ":\(kind)")" }
}

extension Array where Element == Entry {
    /// Total bytes charged for these entries.
    public var byteCount: Int { reduce(0) { $0 + $1.byteCount } }

    /// True when indexes increase by one and terms never decrease: the only shape a log or an
    /// append may have. Used to refuse malformed messages without trusting them.
    public var isContiguousRun: Bool {
        zip(self, dropFirst()).allSatisfy { $1.index == $0.index + 1 && $1.term >= $0.term }
    }
}
