import RaftCore

/// Callers waiting until the state machine has applied through an index (after etcd's `wait_time`): each
/// is resumed by the apply that reaches its index, or failed at its deadline — no polling.
struct AppliedIndexWaiters<Instant: Comparable> {
    struct Waiter {
        let index: LogIndex
        let deadline: Instant
        let continuation: CheckedContinuation<LogIndex, any Error>
    }

    /// Waiters at most; a caller past it is refused at once rather than queued without bound.
    let maxWaiters: Int
    private var waiters: [UInt64: Waiter] = [:]
    private var nextID: UInt64 = 1

    init(maxWaiters: Int) {
        precondition(maxWaiters >= 1, "maxWaiters must be at least 1")
        self.maxWaiters = maxWaiters
    }

    var count: Int { waiters.count }
    var isFull: Bool { waiters.count >= maxWaiters }

    mutating func add(index: LogIndex, deadline: Instant, continuation: CheckedContinuation<LogIndex, any Error>) {
        precondition(!isFull, "callers check isFull first")
        waiters[nextID] = Waiter(index: index, deadline: deadline, continuation: continuation)
        nextID += 1
    }

    /// Resumes every waiter whose index `applied` reaches.
    mutating func applied(through applied: LogIndex) {
        for (id, waiter) in waiters where waiter.index <= applied {
            waiters.removeValue(forKey: id)
            waiter.continuation.resume(returning: applied)
        }
    }

    /// Fails every waiter whose deadline has passed with `error`.
    mutating func expire(now: Instant, with error: any Error) {
        for (id, waiter) in waiters where now >= waiter.deadline {
            waiters.removeValue(forKey: id)
            waiter.continuation.resume(throwing: error)
        }
    }

    mutating func failAll(with error: any Error) {
        for waiter in waiters.values { waiter.continuation.resume(throwing: error) }
        waiters.removeAll()
    }
}

/// The clock time at which each freshness probe left (`RaftCore+Freshness`): the runtime's half of the
/// bounded-staleness rule. Bounded: older stamps are forgotten once a newer probe is the witness.
struct FreshnessProbeStamps<Instant: Comparable> {
    /// Stamps kept at most (probes the core still waits on, plus the witness).
    static var maxStamps: Int { 64 }
    private var stamps: [UInt64: Instant] = [:]

    mutating func issued(_ probes: [UInt64], at instant: Instant) {
        for probe in probes { stamps[probe] = instant }
        if stamps.count > Self.maxStamps, let oldest = stamps.keys.min() { stamps.removeValue(forKey: oldest) }
    }

    /// The last witness whose stamp was known, and that stamp.
    private var lastWitnessStamp: (probe: UInt64, instant: Instant)?

    /// When `witness` left, forgetting every older probe (they can no longer become the witness). A witness
    /// answered in the very turn that issued it has no stamp until its Ready is taken (on the node's next
    /// turn): meanwhile the previous witness's stamp still holds — applied state only grows — and is the
    /// latest sound answer. Never the stamp of an older probe that was not a witness: it was not answered.
    mutating func stamp(of witness: FreshnessWitness?) -> Instant? {
        guard let witness else { return nil }
        guard let instant = stamps[witness.probe] else {
            return lastWitnessStamp.flatMap { $0.probe < witness.probe ? $0.instant : nil }
        }
        for probe in stamps.keys where probe < witness.probe { stamps.removeValue(forKey: probe) }
        lastWitnessStamp = (witness.probe, instant)
        return instant
    }
}
