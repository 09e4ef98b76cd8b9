/// What the core knows about a state-machine snapshot: the log position it covers and the membership
/// in force there. The bytes belong to the runtime; the core only decides when they are sent and
/// whether a received snapshot may be installed.
public struct SnapshotMetadata: Sendable, Equatable, CustomStringConvertible {
    /// The last entry the snapshot includes.
    public var index: LogIndex
    public var term: Term
    /// The membership in force at `index` (the last configuration entry at or before it).
    public var configuration: MembershipConfiguration

    public init(index: LogIndex, term: Term, configuration: MembershipConfiguration) {
        self.index = index
        self.term = term
        self.configuration = configuration
    }

    public var position: LogPosition { LogPosition(index: index, term: term) }

    public var description: String { "snapshot \(position) \(configuration)" }
}

/// The leader asks its runtime to stream its latest snapshot to `to` (see `Ready.snapshotsToSend`).
/// The chunks go out as messages in `term`, the leader's term when it asked.
public struct SnapshotSend: Sendable, Equatable {
    public var to: NodeID
    public var term: Term
    public var metadata: SnapshotMetadata

    public init(to: NodeID, term: Term, metadata: SnapshotMetadata) {
        self.to = to
        self.term = term
        self.metadata = metadata
    }
}

/// One bounded piece of a snapshot, runtime to runtime. The core never handles these: a runtime that
/// receives one assembles the bytes by `offset` and, once it holds every byte up to the chunk with
/// `isLast`, calls `RaftCore.restore(_:from:term:)`. `Message.term` is the leader's term.
public struct InstallSnapshotChunk: Sendable, Equatable {
    public var metadata: SnapshotMetadata
    /// Byte offset of `data` within the snapshot.
    public var offset: Int
    public var data: [UInt8]
    public var isLast: Bool

    public init(metadata: SnapshotMetadata, offset: Int, data: [UInt8], isLast: Bool) {
        self.metadata = metadata
        self.offset = offset
        self.data = data
        self.isLast = isLast
    }
}

/// Why a follower did not install a snapshot. Either way nothing changed and the leader retries.
public enum SnapshotRestoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The sender's term is older than ours: it is no longer leader.
    case staleTerm(snapshotTerm: Term, currentTerm: Term)
    /// Installing it would roll back entries this member already committed (or holds newer ones).
    case notNewer(snapshotIndex: LogIndex, commitIndex: LogIndex)
    /// This member leads the sender's term itself; a snapshot from a peer cannot be right.
    case isLeader

    public var description: String {
        switch self {
        case .staleTerm(let snapshotTerm, let currentTerm):
            "snapshot sent in term \(snapshotTerm), this member is in term \(currentTerm)"
        case .notNewer(let snapshotIndex, let commitIndex):
            "snapshot at \(snapshotIndex) is not newer than commit \(commitIndex)"
        case .isLeader: "this member leads the sender's term"
        }
    }
}
