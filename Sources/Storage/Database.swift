import CLMDB

/// A named database inside an environment: a handle valid for the environment's lifetime.
///
/// Obtained from `Environment.openDatabase(_:)`; cheap to copy and to pass between threads.
public struct Database: Sendable, Hashable, CustomStringConvertible {
    let dbi: MDB_dbi
    public let name: String

    public var description: String { "database \(name)" }
}
