/// A Raft term: a logical clock that only ever moves forward on every member (Raft §5.1).
public typealias Term = UInt64

/// A 1-based position in the replicated log; 0 means "before the first entry".
public typealias LogIndex = UInt64

/// A cluster member's identity. Stable for the member's lifetime; never reused for another member,
/// because votes and log positions recorded under an id must not be attributed to a newcomer.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { "n\(rawValue)" }
}

/// An (index, term) pair naming one log entry. Two logs that hold the same position hold the same
/// entries up to it (Log Matching, Raft §5.3), so a position is all a peer needs to compare logs.
public struct LogPosition: Hashable, Sendable, CustomStringConvertible {
    public var index: LogIndex
    public var term: Term

    public init(index: LogIndex, term: Term) {
        self.index = index
        self.term = term
    }

    /// The position before the first entry of an empty, never-compacted log.
    public static let origin = LogPosition(index: 0, term: 0)

    /// Raft §5.4.1: a log is at least as up to date as another if its last term is higher, or equal
    /// with an index at least as large. Votes are granted only to candidates that pass this test.
    public func isAtLeastAsUpToDate(as other: LogPosition) -> Bool {
        term > other.term || (term == other.term && index >= other.index)
    }

    public var description: String { "\(index)@\(term)" }
}
