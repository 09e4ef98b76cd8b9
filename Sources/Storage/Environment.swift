import CLMDB
import Foundation

/// One LMDB environment: a directory holding a memory-mapped B+tree file with named databases.
///
/// Reads run concurrently, each in its own snapshot; writes are serialised by LMDB. Transactions are lent
/// to synchronous closures (`read`, `write`), so none can cross an `await` or outlive its scope. When a
/// write does not fit in the map, the environment doubles the map (up to `maxMapSizeBytes`) and runs the
/// write again — so a write body must only compute its writes from its inputs and the transaction.
///
/// `@unchecked Sendable`: the state is the `MDB_env` handle, which LMDB documents as safe to use from many
/// threads (opened with `MDB_NOTLS`, so read transactions are not tied to threads), and the `ResizeLock`,
/// which orders map resizing against every open transaction of this process.
public final class Environment: @unchecked Sendable {
    public let path: String
    public let options: EnvironmentOptions
    private let handle: OpaquePointer
    private let resizeLock = ResizeLock()

    /// Map growths one write may trigger before giving up; each doubles the map, so this is never the
    /// binding limit in practice — `maxMapSizeBytes` is.
    private static let maxMapGrowthsPerWrite = 48

    /// Opens (creating if needed) the environment in directory `path`.
    public init(path: String, options: EnvironmentOptions = EnvironmentOptions()) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StorageError(kind: .fileSystem, operation: "create directory \(path)", message: "\(error)")
        }
        var handle: OpaquePointer?
        try check(mdb_env_create(&handle), "create environment")
        guard let handle else { preconditionFailure("mdb_env_create succeeded without an environment") }
        do {
            try check(mdb_env_set_mapsize(handle, options.initialMapSizeBytes), "set map size")
            try check(mdb_env_set_maxreaders(handle, UInt32(options.maxReaders)), "set max readers")
            try check(mdb_env_set_maxdbs(handle, MDB_dbi(options.maxDatabases)), "set max databases")
            // A durable environment syncs its meta page itself after each immediate commit (`write`), so that
            // a commit may also leave it for the next one (`CommitDurability.deferredToNextCommit`).
            var flags = UInt32(MDB_NOTLS) | UInt32(MDB_NOMETASYNC)
            if options.durability == .noSync { flags |= UInt32(MDB_NOSYNC) }
            try check(mdb_env_open(handle, path, flags, mdb_mode_t(options.fileMode)), "open environment at \(path)")
        } catch {
            mdb_env_close(handle)
            throw error
        }
        self.path = path
        self.options = options
        self.handle = handle
    }

    deinit {
        mdb_env_close(handle)
    }

    /// Opens the named database, creating it when `create` is true and it does not exist.
    public func openDatabase(_ name: String, create: Bool = true) throws -> Database {
        try write { txn in
            var dbi = MDB_dbi()
            try check(mdb_dbi_open(txn.handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi), "open \(name)")
            return Database(dbi: dbi, name: name)
        }
    }

    /// Runs `body` in a read transaction: a consistent snapshot of the last commit before it began.
    public func read<R>(_ body: (borrowing ReadTransaction) throws -> R) throws -> R {
        try withTransactionRetry(growingMap: false) {
            let txn = try beginTransaction(flags: UInt32(MDB_RDONLY), ReadOnly.self)
            return try body(txn)
        }
    }

    /// Runs `body` in the write transaction and commits after it returns; aborts if it throws.
    /// `body` may run more than once (after the map grows), so it must not have effects outside `txn`.
    /// An immediate commit is durable when this returns (its writes are visible to readers a moment
    /// before, once LMDB wrote the meta page and while it is being synced).
    public func write<R>(durability: CommitDurability = .immediate, _ body: (inout WriteTransaction) throws -> R) throws
        -> R
    {
        try withTransactionRetry(growingMap: true) {
            var txn = try beginTransaction(flags: 0, ReadWrite.self)
            let result = try body(&txn)
            try txn.commit()
            if durability == .immediate && options.durability == .durable {
                // The data pages were synced by the commit; this syncs the meta page written after them.
                let code = mdb_env_sync(handle, 1)
                guard code == 0 else {
                    throw StorageError(
                        kind: .syncFailedAfterCommit(code: code), operation: "sync after commit",
                        message: String(cString: mdb_strerror(code)))
                }
            }
            return result
        }
    }

    /// The current size of the memory map.
    public var mapSizeBytes: Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info.me_mapsize
    }

    /// Copies the environment to `directory` (which must exist and be empty) while it stays in use,
    /// omitting free pages. The copy is a consistent snapshot of one commit.
    public func copyCompacted(to directory: String) throws {
        try resizeLock.withShared { () throws(StorageError) in
            try check(mdb_env_copy2(handle, directory, UInt32(MDB_CP_COMPACT)), "copy environment to \(directory)")
        }
    }

    /// Runs `attempt` holding the resize lock shared; if it fails because the map is full (and
    /// `growingMap`) or because another process grew the map, adjusts the map and runs it again.
    private func withTransactionRetry<R>(growingMap: Bool, _ attempt: () throws -> R) throws -> R {
        for _ in 0..<Self.maxMapGrowthsPerWrite {
            do {
                return try resizeLock.withShared { try attempt() }
            } catch let error as StorageError where error.isMapResized {
                try adoptMapSizeOfOtherProcess()
            } catch let error as StorageError where growingMap && error.isMapFull {
                try growMap()
            }
        }
        throw StorageError(
            kind: .mapSizeLimitReached(limitBytes: options.maxMapSizeBytes), operation: "write",
            message: "the map was grown \(Self.maxMapGrowthsPerWrite) times and the write still does not fit")
    }

    private func beginTransaction<A>(flags: UInt32, _ access: A.Type) throws(StorageError) -> Transaction<A> {
        var txn: OpaquePointer?
        let readOnly = flags & UInt32(MDB_RDONLY) != 0
        try check(
            mdb_txn_begin(handle, nil, flags, &txn), readOnly ? "begin read transaction" : "begin write transaction")
        guard let txn else { preconditionFailure("mdb_txn_begin succeeded without a transaction") }
        return Transaction(handle: txn)
    }

    /// Doubles the map, bounded by `maxMapSizeBytes`. Waits until no transaction of this process is open.
    private func growMap() throws(StorageError) {
        try resizeLock.withExclusive { () throws(StorageError) in
            let current = mapSizeBytes
            guard current < options.maxMapSizeBytes else {
                throw StorageError(
                    kind: .mapSizeLimitReached(limitBytes: options.maxMapSizeBytes), operation: "grow map",
                    message: "the map is at its limit of \(options.maxMapSizeBytes) bytes")
            }
            let grown = current > options.maxMapSizeBytes / 2 ? options.maxMapSizeBytes : current * 2
            try check(mdb_env_set_mapsize(handle, grown), "grow map to \(grown) bytes")
        }
    }

    /// Another process grew the map (`MDB_MAP_RESIZED`): size 0 tells LMDB to adopt the size in the file.
    private func adoptMapSizeOfOtherProcess() throws(StorageError) {
        try resizeLock.withExclusive { () throws(StorageError) in
            try check(mdb_env_set_mapsize(handle, 0), "adopt map size grown by another process")
        }
    }
}
