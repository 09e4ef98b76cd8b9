import CLMDB
import Glibc

/// Every failure of the storage layer, named by the operation that failed.
///
/// LMDB reports failures as integer codes; an operator reading a log line needs to know *what* the node was
/// doing ("put", "commit", "open environment at /var/lib/keycluster") and LMDB's own words for *why*.
public struct StorageError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What kind of failure this is, so callers can react (grow the map, refuse a request, report).
    public enum Kind: Equatable, Sendable {
        /// LMDB returned this error code.
        case lmdb(code: Int32)
        /// A file-system operation around LMDB (creating the data directory) failed.
        case fileSystem
        /// The map reached `EnvironmentOptions.maxMapSizeBytes` and may not grow further: the disk budget is spent.
        case mapSizeLimitReached(limitBytes: Int)
        /// The group-commit writer's queue holds `maxQueuedWrites`: the caller should back off and retry.
        case writerQueueFull(limitWrites: Int)
        /// The group-commit writer was closed; no more writes are accepted.
        case writerClosed
        /// A commit went through (its writes are visible) but syncing it to stable storage failed: it is
        /// neither provably durable nor undone, so it must not be retried — the owner stops instead.
        case syncFailedAfterCommit(code: Int32)
    }

    public let kind: Kind
    /// The operation that failed, e.g. `"put"`, `"begin write transaction"`.
    public let operation: String
    /// A human-readable explanation; for LMDB errors, LMDB's own message (`mdb_strerror`).
    public let message: String

    public init(kind: Kind, operation: String, message: String) {
        self.kind = kind
        self.operation = operation
        self.message = message
    }

    /// Maps an LMDB return code to an error naming `operation` and carrying LMDB's message.
    init(lmdbCode code: Int32, operation: String) {
        precondition(code != 0, "MDB_SUCCESS is not an error")
        self.init(kind: .lmdb(code: code), operation: operation, message: String(cString: mdb_strerror(code)))
    }

    public var description: String { "storage: \(operation) failed: \(message)" }

    /// The write did not fit in the current map; the environment grows the map and retries.
    public var isMapFull: Bool { kind == .lmdb(code: MDB_MAP_FULL) }

    /// The write failed for want of space — the file system is full (`ENOSPC`), the user's disk quota is
    /// spent (`EDQUOT`) or the map reached `maxMapSizeBytes` — rather than for a fault: the same write can
    /// succeed once space is freed, so the caller waits and retries instead of giving up.
    public var isOutOfSpace: Bool {
        switch kind {
        case .lmdb(let code): code == ENOSPC || code == EDQUOT
        case .mapSizeLimitReached: true
        case .fileSystem, .writerQueueFull, .writerClosed, .syncFailedAfterCommit: false
        }
    }

    /// Another process grew the map; this process must adopt the new size before continuing.
    var isMapResized: Bool { kind == .lmdb(code: MDB_MAP_RESIZED) }
}

/// Throws a `StorageError` naming `operation` unless `code` is `MDB_SUCCESS`.
@inline(__always)
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(StorageError) {
    if code != 0 { throw StorageError(lmdbCode: code, operation: operation()) }
}
