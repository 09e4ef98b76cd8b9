import RaftCore
import Storage

/// The service's state, changed only by committed log entries.
///
/// The node calls `apply` on its single writer thread, inside the same LMDB write transaction that records
/// the applied index and the client sessions, so after a crash either all of an entry's effects are there
/// or none are — an entry is never applied twice or skipped.
public protocol ReplicatedStateMachine: Sendable {
    /// Applies one committed command and returns its result for the proposer.
    ///
    /// Must be deterministic — every member applies the same entries in the same order and must end in the
    /// same state with the same results — and must have no effect outside `txn`: it may run more than once
    /// when the map grows. A command the domain refuses is answered in the result, not by throwing; a throw
    /// means storage failed, and the node stops rather than skip the entry.
    func apply(_ command: [UInt8], at index: LogIndex, in txn: borrowing WriteTransaction) throws -> [UInt8]

    /// Every database `apply` writes: together they are the state a snapshot copies and an install
    /// replaces. One that is missing here would silently diverge on a member that installs a snapshot.
    var snapshotDatabases: [Database] { get }
}
