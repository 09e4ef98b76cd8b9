import Dispatch
import Foundation
import Synchronization

/// The one thread that writes to an environment, committing many callers' writes in one durable
/// transaction — one fsync — and telling each caller when its own write is durable.
///
/// Callers hand it a synchronous write body; while one batch is being committed, new bodies queue up and
/// form the next batch, so the commit rate is bounded by fsync latency while the write rate is not. Each body
/// runs in its own nested transaction: a body that throws undoes only its own writes and gets its own error.
/// A full queue refuses new writes at once (`writerQueueFull`) rather than letting latency grow without bound.
public final class GroupCommitWriter: Sendable {
    /// Bounds on the writer's queue and batches.
    public struct Limits: Sendable {
        /// Writes waiting for the writer; beyond this, `write` throws `writerQueueFull`.
        public var maxQueuedWrites: Int
        /// Writes committed together in one transaction (one fsync).
        public var maxBatchWrites: Int

        public init(maxQueuedWrites: Int = 16_384, maxBatchWrites: Int = 1_024) {
            precondition(maxQueuedWrites > 0 && maxBatchWrites > 0, "writer limits must be positive")
            self.maxQueuedWrites = maxQueuedWrites
            self.maxBatchWrites = maxBatchWrites
        }
    }

    /// Counters for metrics and benchmarks.
    public struct Statistics: Sendable, Equatable {
        public var committedBatches = 0
        public var committedWrites = 0
        public var failedWrites = 0
        /// Time spent in commits that succeeded (dominated by fsync for a durable environment).
        public var commitDuration = Duration.zero
    }

    /// Called once a batch's commit finished: with nil when the write is durable, else the commit's error.
    private typealias Completion = @Sendable (_ commitError: (any Error)?) -> Void

    private struct Job: Sendable {
        /// Performs the caller's writes; returns how to tell the caller once the batch commit is known.
        let run: @Sendable (inout WriteTransaction) throws -> Completion
        /// Tells the caller its write failed and was not kept.
        let fail: @Sendable (any Error) -> Void
        let durability: CommitDurability
    }

    private struct State: Sendable {
        var queue: [Job] = []
        var isClosed = false
        var statistics = Statistics()
    }

    public let environment: Environment
    public let limits: Limits
    private let state = Mutex(State())
    /// Signalled once per queued job and once on close; the writer thread sleeps on it.
    private let jobsAvailable = DispatchSemaphore(value: 0)
    /// Signalled when the writer thread has drained the queue after close and exited.
    private let threadExited = DispatchSemaphore(value: 0)
    /// Told how long each successful batch commit took (its fsync), on the writer thread, before the
    /// batch's callers resume: a latency histogram and a slow-disk warning need each commit, not the sum.
    private let commitObserver: (@Sendable (_ duration: Duration) -> Void)?

    public init(
        environment: Environment, limits: Limits = Limits(),
        commitObserver: (@Sendable (_ duration: Duration) -> Void)? = nil
    ) {
        self.environment = environment
        self.limits = limits
        self.commitObserver = commitObserver
        let thread = Thread { [self] in runWriterThread() }
        thread.name = "keycluster-storage-writer"
        thread.start()
    }

    /// Queues `body` for the next batch and returns its result once the batch is durable.
    ///
    /// `body` runs on the writer thread and may run more than once (when the map grows), so it must only
    /// compute its writes from what it captured and from `txn`. Throws `writerQueueFull` at once when the
    /// queue is full, `writerClosed` after `close()`, the body's own error, or the commit's error.
    /// `durability`: a batch defers its meta-page sync (`CommitDurability`) only when all its writes allow it.
    public func write<R: Sendable>(
        durability: CommitDurability = .immediate,
        _ body: @escaping @Sendable (inout WriteTransaction) throws -> R
    ) async throws -> R {
        try await withCheckedThrowingContinuation { continuation in
            let job = Job(
                run: { txn in
                    let result = try body(&txn)
                    return { commitError in
                        if let commitError {
                            continuation.resume(throwing: commitError)
                        } else {
                            continuation.resume(returning: result)
                        }
                    }
                },
                fail: { continuation.resume(throwing: $0) },
                durability: durability)
            do {
                try enqueue(job)
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    public var statistics: Statistics {
        state.withLock { $0.statistics }
    }

    /// Writes waiting for the writer thread (not counting the batch being committed).
    public var queuedWrites: Int {
        state.withLock { $0.queue.count }
    }

    /// Stops accepting writes, commits everything already queued, and waits for the writer thread to exit.
    public func close() {
        state.withLock { $0.isClosed = true }
        jobsAvailable.signal()
        threadExited.wait()
        threadExited.signal()  // let any other caller of close() through as well
    }

    private func enqueue(_ job: Job) throws(StorageError) {
        try state.withLock { state throws(StorageError) in
            guard !state.isClosed else {
                throw StorageError(
                    kind: .writerClosed, operation: "queue write", message: "the storage writer is closed")
            }
            guard state.queue.count < limits.maxQueuedWrites else {
                throw StorageError(
                    kind: .writerQueueFull(limitWrites: limits.maxQueuedWrites), operation: "queue write",
                    message: "\(limits.maxQueuedWrites) writes are already waiting")
            }
            state.queue.append(job)
        }
        jobsAvailable.signal()
    }

    private func runWriterThread() {
        while true {
            jobsAvailable.wait()
            while let batch = takeBatch() {
                commit(batch)
            }
            if state.withLock({ $0.isClosed && $0.queue.isEmpty }) { break }
        }
        threadExited.signal()
    }

    private func takeBatch() -> [Job]? {
        state.withLock { state in
            guard !state.queue.isEmpty else { return nil }
            let batch = Array(state.queue.prefix(limits.maxBatchWrites))
            state.queue.removeFirst(batch.count)
            return batch
        }
    }

    private func commit(_ batch: [Job]) {
        precondition(!batch.isEmpty && batch.count <= limits.maxBatchWrites, "batch outside its bounds")
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: (completions: [Completion], failures: [(Job, any Error)])
        do {
            let durability: CommitDurability =
                batch.allSatisfy { $0.durability == .deferredToNextCommit } ? .deferredToNextCommit : .immediate
            outcome = try environment.write(durability: durability) { txn in
                var completions: [Completion] = []
                var failures: [(Job, any Error)] = []
                for job in batch {
                    do {
                        completions.append(try txn.nested { child in try job.run(&child) })
                    } catch let error as StorageError where error.isMapFull {
                        throw error  // the whole batch runs again once the map has grown
                    } catch {
                        failures.append((job, error))
                    }
                }
                return (completions, failures)
            }
        } catch {
            for job in batch { job.fail(error) }
            state.withLock { $0.statistics.failedWrites += batch.count }
            return
        }
        let elapsed = clock.now - start
        state.withLock {
            $0.statistics.committedBatches += 1
            $0.statistics.committedWrites += outcome.completions.count
            $0.statistics.failedWrites += outcome.failures.count
            $0.statistics.commitDuration += elapsed
        }
        commitObserver?(elapsed)
        for completion in outcome.completions { completion(nil) }
        for (job, error) in outcome.failures { job.fail(error) }
    }
}
