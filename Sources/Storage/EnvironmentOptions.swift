/// When a commit of a `.durable` environment reaches stable storage.
public enum CommitDurability: Sendable, Equatable {
    /// Before the commit returns: data pages and the meta page that makes them current are synced.
    case immediate
    /// The data pages are synced before the commit returns, the meta page with the next immediate commit
    /// (LMDB's `MDB_NOMETASYNC`: one device flush instead of two). Integrity holds whatever happens; a
    /// machine crash before the next immediate commit may undo this commit — and only this one, since
    /// each commit's data sync also flushes the meta page written before it. For writes that can be
    /// redone from elsewhere, such as applying entries the Raft log holds durably.
    case deferredToNextCommit
}

/// How an LMDB environment is opened. Every bound is named, with its unit last.
public struct EnvironmentOptions: Sendable, Equatable {
    /// Whether a commit returns only after its data reached stable storage.
    public enum Durability: Sendable, Equatable {
        /// Every commit is fsynced (the default, and the only setting for a real node).
        case durable
        /// `MDB_NOSYNC`: commits stay in the page cache. A crash of the machine may lose recent commits,
        /// a crash of the process does not. Only for tests and benchmarks that say so.
        case noSync
    }

    /// The map size the environment starts with. It grows by doubling when a write does not fit.
    public var initialMapSizeBytes: Int
    /// The map never grows beyond this; a write that needs more fails with `.mapSizeLimitReached`.
    public var maxMapSizeBytes: Int
    /// Concurrent read transactions LMDB allows (its reader table size).
    public var maxReaders: Int
    /// Named databases the environment may hold.
    public var maxDatabases: Int
    public var durability: Durability
    /// Permissions of the data and lock files: they hold authorization state, so owner-only by default.
    public var fileMode: UInt32

    public init(
        initialMapSizeBytes: Int = 64 << 20,
        maxMapSizeBytes: Int = 1 << 40,
        maxReaders: Int = 256,
        maxDatabases: Int = 32,
        durability: Durability = .durable,
        fileMode: UInt32 = 0o600
    ) {
        precondition(initialMapSizeBytes > 0 && initialMapSizeBytes <= maxMapSizeBytes, "map size bounds out of order")
        precondition(maxReaders > 0 && maxDatabases > 0, "reader and database limits must be positive")
        self.initialMapSizeBytes = initialMapSizeBytes
        self.maxMapSizeBytes = maxMapSizeBytes
        self.maxReaders = maxReaders
        self.maxDatabases = maxDatabases
        self.durability = durability
        self.fileMode = fileMode
    }
}
