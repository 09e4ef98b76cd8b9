import CLMDB

/// Marks what a transaction may do. Only the two access kinds below exist.
public protocol TransactionAccess {}
/// A read-only snapshot: a stable view of the last commit before it began, unaffected by later commits.
public enum ReadOnly: TransactionAccess {}
/// The single write transaction of the environment: reads see its own uncommitted writes.
public enum ReadWrite: TransactionAccess {}

public typealias ReadTransaction = Transaction<ReadOnly>
public typealias WriteTransaction = Transaction<ReadWrite>

/// An LMDB transaction that cannot be misused.
///
/// It is `~Copyable`, so it cannot be shared or outlive its scope by accident. `Environment.read` and
/// `Environment.write` lend it to a synchronous closure, so it never crosses an `await` (LMDB ties write
/// transactions to their thread). A transaction that is dropped without `commit()` — because its body threw,
/// returned early or was never finished — is aborted by `deinit`. `commit()` and `abort()` consume it, so
/// a finished transaction cannot be used again: the compiler refuses.
///
/// Only an `OpaquePointer` is stored, so `discard self` can skip `deinit` after commit.
public struct Transaction<Access: TransactionAccess>: ~Copyable {
    let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        mdb_txn_abort(handle)
    }

    /// Ends the transaction without keeping any of its writes (for a read transaction: releases its snapshot).
    public consuming func abort() {
        let handle = self.handle
        discard self
        mdb_txn_abort(handle)
    }
}

extension Transaction where Access == ReadWrite {
    /// Makes every write of this transaction durable (per the environment's durability) and visible.
    ///
    /// LMDB frees the transaction whether or not the commit succeeds, so it is consumed either way.
    public consuming func commit() throws(StorageError) {
        let handle = self.handle
        discard self
        try check(mdb_txn_commit(handle), "commit")
    }
}
