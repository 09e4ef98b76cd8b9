import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The one thread a member's Raft traffic runs on (design §11, isolation): the node's actor, its tick and
/// inbound loops, the decoding of peer frames and the peer links' own I/O. Request handling runs on other
/// threads (Hummingbird's event loops, the cooperative pool), so a storm of unlocks — each a P-256 verify
/// and sign, JSON, TLS — queues behind itself and never in front of a heartbeat, a vote or an append: a
/// leader is not lost to load alone.
///
/// A `SerialExecutor` (the node's actor runs its jobs here) with a `TaskExecutor` on the same loop
/// (`tasks`: the loops and pumps prefer it, so they resume here after every `await` instead of on the busy
/// shared pool). Jobs run in the order they were enqueued, on an NIO event loop that the peer transport's
/// channels use too — a frame read from a peer is decoded and stepped without leaving the thread.
///
/// The two roles are two objects on purpose: a job run as the actor's must not also claim the task
/// executor (a caller without that preference would then carry it into other actors' jobs, which the
/// runtime would run here as if isolated to this node — seen as hangs), and a task-executor job must not
/// claim the actor's isolation.
public final class RaftExecutor: SerialExecutor {
    /// The loop every job runs on.
    public let eventLoop: any EventLoop
    /// The group to hand the peer transport (one loop: `eventLoop`).
    public let group: any EventLoopGroup
    /// Shut down by `shutdown()`; nil for the shared executor, which lives as long as the process.
    private let ownedGroup: MultiThreadedEventLoopGroup?
    /// For tasks that should run on this thread without being isolated to the node (`Task(executorPreference:)`).
    public let tasks: RaftTaskExecutor

    /// How much more CPU weight the Raft thread asks for than the request threads (Linux nice levels, per
    /// thread): under a storm the two cores are saturated, and the thread that keeps the cluster's
    /// leadership must win the scheduler's choice. Best effort — without CAP_SYS_NICE it stays at 0.
    public static let raftThreadNiceLevel: Int32 = -5

    private init(group: MultiThreadedEventLoopGroup, owned: Bool) {
        self.group = group
        self.eventLoop = group.next()
        self.ownedGroup = owned ? group : nil
        self.tasks = RaftTaskExecutor(eventLoop: eventLoop)
    }

    /// One loop of `shared`, alone in its group (so the peer transport given `group` uses that loop too).
    private init(sharedLoop: any EventLoop) {
        self.group = sharedLoop
        self.eventLoop = sharedLoop
        self.ownedGroup = nil
        self.tasks = RaftTaskExecutor(eventLoop: sharedLoop)
    }

    /// A thread of its own for one member process (`keycluster serve`), raised in priority when the process
    /// may; the outcome is logged. Call `shutdown()` once the node and transport have stopped.
    public static func dedicated(logger: Logger) async -> RaftExecutor {
        let executor = RaftExecutor(group: MultiThreadedEventLoopGroup(numberOfThreads: 1), owned: true)
        let raised = try? await executor.eventLoop.submit { Self.raiseThreadPriority() }.get()
        if raised != true {
            logger.notice(
                "could not raise the Raft thread's priority (needs CAP_SYS_NICE); it runs on a thread of its own at normal priority",
                metadata: ["niceLevel": "\(raftThreadNiceLevel)"])
        }
        return executor
    }

    /// Threads shared by the nodes of a process that were given no executor (tests and tools that run
    /// several members in one process), one per core so those members still run in parallel. Never shut down.
    private static let sharedGroup = MultiThreadedEventLoopGroup._makePerpetualGroup(
        threadNamePrefix: "raft-shared-", numberOfThreads: System.coreCount)

    /// The next of the shared threads, round robin (each node keeps the one it was given).
    public static func nextShared() -> RaftExecutor {
        RaftExecutor(sharedLoop: sharedGroup.next())
    }

    /// Stops the thread; everything that ran on it must have stopped first.
    public func shutdown() async {
        try? await ownedGroup?.shutdownGracefully()
    }

    /// Lowers the calling thread's nice level. On Linux the nice value is a thread's, and `who` 0 names
    /// the calling thread (setpriority(2), "Bugs"): the rest of the process keeps its own.
    private static func raiseThreadPriority() -> Bool {
        #if os(Linux)
            return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, raftThreadNiceLevel) == 0
        #else
            return false
        #endif
    }

    /// Suspends the caller for `duration` on this loop's own timer. `Task.sleep` would not do for the tick
    /// loop: its wake-up is queued on the shared cooperative pool first, so a pool busy with requests holds
    /// every tick back (seen in `RaftThreadIsolationTests` before this existed). A resumed continuation
    /// goes straight to the caller's executor — the Raft thread for the node's loops.
    public func sleep(for duration: Duration) async {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // Resumed when the timer fires or fails — a loop shut down fails its pending timers, so a loop
            // task asleep at shutdown ends instead of leaking its continuation.
            eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {}.futureResult.whenComplete { _ in
                continuation.resume()
            }
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        precondition(eventLoop.inEventLoop, "expected to run on the Raft thread")
    }
}

/// The task-executor half of `RaftExecutor`: nonisolated work (the node's loops, the frame pump) that
/// should run on the Raft thread.
public final class RaftTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
