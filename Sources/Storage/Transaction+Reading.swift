import CLMDB

/// Reads shared by read and write transactions.
extension Transaction {
    /// The value stored under `key`, copied out of the map, or nil when there is none.
    public func get(_ key: [UInt8], in database: Database) throws(StorageError) -> [UInt8]? {
        try withValue(key, in: database) { $0.map { Array($0) } }
    }

    /// Lends the value stored under `key` without copying it. The buffer points into the memory map and is
    /// valid only inside `body`.
    public func withValue<R>(
        _ key: [UInt8], in database: Database, _ body: (UnsafeRawBufferPointer?) throws(StorageError) -> R
    ) throws(StorageError) -> R {
        var value = MDB_val()
        let rc = key.withMDBValue { keyValue in mdb_get(handle, database.dbi, &keyValue, &value) }
        if rc == MDB_NOTFOUND { return try body(nil) }
        try check(rc, "get from \(database)")
        return try body(value.rawBuffer)
    }

    /// Whether a value is stored under `key`.
    public func contains(_ key: [UInt8], in database: Database) throws(StorageError) -> Bool {
        try withValue(key, in: database) { $0 != nil }
    }

    /// The number of entries in `database`, as seen by this transaction.
    public func count(in database: Database) throws(StorageError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(handle, database.dbi, &stat), "stat \(database)")
        return stat.ms_entries
    }

    /// The bytes of the pages `database` occupies (branch, leaf and overflow), as seen by this transaction:
    /// an upper bound on what copying its entries to a file takes.
    public func pageBytes(in database: Database) throws(StorageError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(handle, database.dbi, &stat), "stat \(database)")
        return (stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages) * Int(stat.ms_psize)
    }

    /// Visits the entries of `range` in key order (or reverse order), at most `limit` of them, until `body`
    /// returns `.stop`. Keys and values point into the memory map and are valid only inside `body`.
    public func scan(
        _ database: Database,
        _ range: KeyRange = .all,
        reverse: Bool = false,
        limit: Int = .max,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> ScanControl
    ) throws {
        precondition(limit >= 0, "scan limit must not be negative")
        guard limit > 0 else { return }
        let cursor = try Cursor(transaction: handle, database: database)
        var entry = reverse ? try cursor.positionAtLast(in: range) : try cursor.positionAtFirst(in: range)
        var visited = 0
        while let (key, value) = entry, range.contains(key) {
            visited += 1
            if try body(key, value) == .stop || visited == limit { return }
            entry = try cursor.step(reverse ? MDB_PREV : MDB_NEXT)
        }
    }

    /// The entries of `range` copied into arrays, at most `limit` of them.
    public func entries(
        _ database: Database, _ range: KeyRange = .all, reverse: Bool = false, limit: Int = .max
    ) throws -> [(key: [UInt8], value: [UInt8])] {
        var result: [(key: [UInt8], value: [UInt8])] = []
        try scan(database, range, reverse: reverse, limit: limit) { key, value in
            result.append((Array(key), Array(value)))
            return .proceed
        }
        return result
    }
}

/// Whether a scan goes on to the next entry.
public enum ScanControl: Sendable {
    case proceed
    case stop
}
