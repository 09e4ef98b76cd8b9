import CLMDB

/// An LMDB cursor over one database, positioned by key range. Internal: scans expose it only through
/// closures on `Transaction`; it closes when it goes out of scope, before its transaction ends.
struct Cursor: ~Copyable {
    typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    private let handle: OpaquePointer
    private let database: Database

    init(transaction: OpaquePointer, database: Database) throws(StorageError) {
        var handle: OpaquePointer?
        try check(mdb_cursor_open(transaction, database.dbi, &handle), "open cursor on \(database)")
        guard let handle else { preconditionFailure("mdb_cursor_open succeeded without a cursor") }
        self.handle = handle
        self.database = database
    }

    deinit {
        mdb_cursor_close(handle)
    }

    /// Moves by `operation` (`MDB_NEXT`, `MDB_PREV`, `MDB_FIRST`, …); nil when there is no such entry.
    func step(_ operation: MDB_cursor_op) throws(StorageError) -> Entry? {
        var key = MDB_val()
        var value = MDB_val()
        let rc = mdb_cursor_get(handle, &key, &value, operation)
        return try entry(rc, key, value)
    }

    /// The first entry of `range`, if the database holds one at or after its lower bound.
    func positionAtFirst(in range: KeyRange) throws(StorageError) -> Entry? {
        guard let lowerBound = range.lowerBound else { return try step(MDB_FIRST) }
        return try seek(atOrAfter: lowerBound)
    }

    /// The last entry below the range's upper bound (the caller checks it against the lower bound).
    func positionAtLast(in range: KeyRange) throws(StorageError) -> Entry? {
        guard let upperBound = range.upperBound else { return try step(MDB_LAST) }
        // The first key at or after the exclusive upper bound; the entry before it is the answer.
        if try seek(atOrAfter: upperBound) != nil { return try step(MDB_PREV) }
        return try step(MDB_LAST)
    }

    /// Deletes the entry under the cursor.
    func deleteCurrent() throws(StorageError) {
        try check(mdb_cursor_del(handle, 0), "delete at cursor in \(database)")
    }

    private func seek(atOrAfter target: [UInt8]) throws(StorageError) -> Entry? {
        var found = MDB_val()
        var value = MDB_val()
        let rc = target.withMDBValue { key in
            let rc = mdb_cursor_get(handle, &key, &value, MDB_SET_RANGE)
            found = key  // LMDB points the key at the entry it found, inside the map
            return rc
        }
        return try entry(rc, found, value)
    }

    private func entry(_ rc: Int32, _ key: MDB_val, _ value: MDB_val) throws(StorageError) -> Entry? {
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "cursor step in \(database)")
        return (key.rawBuffer, value.rawBuffer)
    }
}
