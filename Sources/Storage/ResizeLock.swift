import Glibc

/// Keeps the map from being resized while any transaction of this process is open.
///
/// LMDB requires that `mdb_env_set_mapsize` run only while no transaction is active in the process; a reader
/// holding pointers into the old mapping would otherwise read unmapped memory. Transactions hold this lock
/// shared for their whole (short, synchronous) lifetime; growing the map holds it exclusive. Writer
/// preference keeps a steady stream of readers from starving a resize. Not re-entrant: a thread must not open
/// a transaction while it already holds one (closure scoping makes that visible at the call site).
final class ResizeLock: @unchecked Sendable {
    // @unchecked: the only state is a pthread rwlock, which is itself the synchronisation primitive;
    // it is allocated once and never moved.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        let rc = pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
        precondition(rc == 0, "pthread_rwlock_init failed: \(rc)")
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func withShared<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let rc = pthread_rwlock_rdlock(lock)
        precondition(rc == 0, "pthread_rwlock_rdlock failed: \(rc)")
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func withExclusive<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        let rc = pthread_rwlock_wrlock(lock)
        precondition(rc == 0, "pthread_rwlock_wrlock failed: \(rc)")
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
