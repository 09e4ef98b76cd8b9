import Logging
import RaftCore
import Storage

/// One cluster member as a running thing: owns a `RaftCore`, ticks it, feeds it messages, and carries out
/// its `Ready`s — persist (one fsync for everything pending), then send, then apply.
///
/// Ordering rules kept here (see `Ready`):
/// - a message is sent only after every `Ready` before it and its own writes are durable; only when nothing
///   is being persisted and its `Ready` writes nothing does it go out at once (steady-state heartbeats) —
///   except a leader's appends and heartbeats, which leave while its write is in flight (thesis §10.2.1);
///   each durable write is reported to the core (`logDurable`), and only then does the leader count itself;
/// - committed entries are applied in the same LMDB transaction as the applied index and client sessions;
///   a write that only applies defers its meta-page sync to the next write (`durability(of:)`);
/// - snapshots (taken, streamed, installed) follow `RaftNode+Snapshots`.
/// A write that fails for want of space is retried until space comes back (`status.outOfSpace`); any other
/// storage failure stops the node (`status.failure`): carrying on would break the core's assumptions.
public actor RaftNode {
    public nonisolated let id: NodeID
    public nonisolated let options: RaftNodeOptions
    public nonisolated let environment: Environment

    var core: RaftCore
    let transport: any RaftMessageTransport
    private let writer: GroupCommitWriter
    let persister: ReadyPersister
    let logger: Logger
    private let clock = ContinuousClock()
    /// Told of commits, applies, proposals, elections and leader changes as they happen (metrics).
    let observer: any RaftNodeObserver
    /// Who leads as this member sees it, and when that deserves a log line.
    var leadership: LeadershipWatch

    var appliedIndex: LogIndex
    var pendingReadies: [Ready] = []
    private var isFlushing = false
    private var flushIdleWaiters: [CheckedContinuation<Void, Never>] = []
    var failure: String?
    /// Why the last write failed for want of space, while writes keep failing; nil when writes succeed.
    var outOfSpace: String?
    var isStopped = false
    var snapshotState: NodeSnapshotState
    private var loops: [Task<Void, Never>] = []

    private var session: LogIndex?
    private var sessionRegistration: Task<LogIndex, any Error>?
    private var nextSequence: UInt64 = 1
    private var waiters: [WaiterKey: ProposalWaiter] = [:]
    /// When each freshness probe left: the clock half of the bounded-staleness rule (`RaftCore+Freshness`).
    private var probeStamps = FreshnessProbeStamps<ContinuousClock.Instant>()
    /// Callers of `waitUntilApplied`, resumed by the apply that reaches their index.
    private var appliedWaiters: AppliedIndexWaiters<ContinuousClock.Instant>
    /// Starts at random in each process: a leader may answer a read of this member's previous incarnation
    /// after a restart, and that answer must not be taken for a new read's (its index may be too old).
    private var nextReadContext: ReadContext = .random(in: 1..<RaftCore.freshnessProbeFlag >> 1)
    private var readWaiters: [ReadContext: ReadWaiter] = [:]
    var membershipTracker: MembershipTracker
    /// The last leaders seen, for operators (`NodeStatus.leaderChanges`).
    private var leaderHistory = LeaderHistory()
    /// When each peer was last heard from, for `NodeStatus.silentPeers`.
    private var peerHearing = PeerHearing()
    /// When this member's current role began (a peer it never heard from is judged from then).
    private var roleSince = ContinuousClock.now
    /// The silent peers last reported, so each change is logged once (`RaftNode+Leadership`).
    var reportedSilentPeers: Set<NodeID> = []
    /// Rate-limits the warning for ticks that fired late.
    private var lateTicks = LateTickWarning()
    /// A task will take the core's next Ready (`collectReady`).
    private var isReadyCollectionScheduled = false
    /// What storage holds durably: every message is checked against it before it leaves (debug builds).
    private var durable: DurabilityLedger
    /// The read path's view of this node, readable without a hop onto the actor; refreshed after each
    /// input (`collectReady`).
    public nonisolated let published = PublishedReadState()
    /// Where the actor, its loops and its inbound messages run: a thread request handling never occupies.
    public nonisolated let executor: RaftExecutor

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Opens the node's durable state in `environment` and builds its core from it. `configuration` is the
    /// bootstrap membership; the log's configuration entries take precedence. A node joining an existing
    /// cluster is not in it: it waits, without a vote, until a leader adds it and sends it the log.
    public init(
        id: NodeID,
        configuration: MembershipConfiguration,
        environment: Environment,
        stateMachine: any ReplicatedStateMachine,
        transport: any RaftMessageTransport,
        options: RaftNodeOptions = RaftNodeOptions(),
        observer: any RaftNodeObserver = IgnoringRaftNodeObserver(),
        logger: Logger = Logger(label: "keycluster.raft"),
        executor: RaftExecutor = .nextShared()
    ) throws {
        self.executor = executor
        let store = try LMDBLogStore(environment: environment)
        let sessions = try ClientSessions(
            environment: environment, expiryEntries: options.sessionExpiryEntries,
            maxResultBytes: options.maxSessionResultBytes)
        options.snapshots.validate()
        precondition(options.reservedRevocationProposals >= 0, "reservedRevocationProposals cannot be negative")
        precondition(
            (1...100).contains(options.snapshotMaxDutyPercent), "snapshotMaxDutyPercent is a percentage (1...100)")
        let catalog = try SnapshotCatalog(environment: environment)
        let persister = try ReadyPersister(
            store: store, sessions: sessions, stateMachine: stateMachine, catalog: catalog)
        let restart = try store.restartState()
        let applied = try persister.appliedIndex()
        let snapshot = try catalog.latest(in: environment)
        snapshotState = NodeSnapshotState(durable: snapshot)
        catalog.removeFiles(
            except: snapshotState.filesToKeep(catalog: catalog, latest: snapshot, pendingInstalls: []),
            includingTemporary: true)
        self.id = id
        self.options = options
        self.environment = environment
        self.transport = transport
        self.persister = persister
        var logger = logger
        // The number alone, as KeyCluster's own lines spell it: one `node=1`, never `node=n1` beside it.
        logger[metadataKey: "node"] = "\(id.rawValue)"
        self.logger = logger
        self.observer = observer
        let slowFsync = SlowFsyncWarning(thresholdMilliseconds: options.slowFsyncWarningMilliseconds, logger: logger)
        self.writer = GroupCommitWriter(environment: environment) { duration in
            observer.storageCommitted(duration: duration)
            slowFsync.committed(duration: duration)
        }
        self.appliedIndex = applied
        self.durable = DurabilityLedger(
            hardState: restart.hardState, lastIndex: restart.entries.last?.index ?? restart.boundary.index)
        self.appliedWaiters = AppliedIndexWaiters(maxWaiters: options.maxAppliedIndexWaiters)
        leadership = LeadershipWatch(
            id: id, initial: RoleState(role: .follower, leader: nil, term: restart.hardState.term),
            leaderlessWarningAfter: options.longestElectionTimeout, now: .now)
        core = RaftCore(
            id: id, configuration: configuration, options: options.raft,
            hardState: restart.hardState, entries: restart.entries, boundary: restart.boundary,
            appliedIndex: applied, snapshot: snapshot, randomSeed: UInt64.random(in: 0 ... .max))
        var tracker = MembershipTracker(id: id, applied: core.configuration(at: applied))
        if let peers = tracker.peersIfChanged(inForce: core.configuration) {
            transport.updateMembers(peers.members, addresses: peers.addresses)
        }
        membershipTracker = tracker
        // Readable before the first input: a read at start must see the restored indexes, not zeros.
        published.publish(
            commitIndex: max(restart.hardState.commit, applied), appliedIndex: applied, stateCurrentAsOf: nil)
    }

    /// Starts ticking and receiving. Call once.
    public func start() {
        precondition(loops.isEmpty, "a node is started once")
        logger.info(
            "starting",
            metadata: ["term": "\(core.term)", "applied": "\(appliedIndex)", "last": "\(core.lastPosition)"])
        let interval = options.tickInterval
        let lateTickThreshold = options.lateTickThreshold
        let clock = clock
        let executor = executor
        // Each loop prefers the Raft thread, so it resumes there after every await instead of waiting its
        // turn on the cooperative pool behind request work (`RaftExecutor`).
        loops.append(
            Task(executorPreference: executor.tasks) { [weak self] in
                var due = clock.now + interval
                while !Task.isCancelled {
                    await executor.sleep(for: due - clock.now)
                    let now = clock.now
                    let lateness = now - due
                    // A tick that fired late is not made up for: a burst of ticks after a stall (a frozen
                    // process, a starved thread) would start an election at once.
                    due = max(due + interval, now + interval / 2)
                    guard let node = self else { return }
                    await node.tick(lateness: lateness, threshold: lateTickThreshold)
                }
            })
        let inbound = transport.inbound
        loops.append(
            Task(executorPreference: executor.tasks) { [weak self] in
                for await message in inbound {
                    await self?.receive(message)
                }
            })
        let unreachable = transport.unreachablePeers
        loops.append(
            Task(executorPreference: executor.tasks) { [weak self] in
                for await peer in unreachable {
                    await self?.peerUnreachable(peer)
                }
            })
    }

    /// Stops ticking and receiving, lets the writes in flight finish, fails waiting proposals with
    /// `stopped`, and closes the writer. The environment stays open for its owner to close.
    public func stop() async {
        guard !isStopped else { return }
        isStopped = true
        for loop in loops { loop.cancel() }
        loops.removeAll()
        if isFlushing {
            await withCheckedContinuation { flushIdleWaiters.append($0) }
        }
        failAllWaiters(.stopped)
        for context in Array(readWaiters.keys) { finishRead(context, .failure(.stopped)) }
        appliedWaiters.failAll(with: ReadError.stopped)
        stopSnapshotTransfers()
        writer.close()
        logger.info("stopped", metadata: ["applied": "\(appliedIndex)"])
    }

    // MARK: - Proposals

    /// Replicates `command`, waits until it is applied, and returns the state machine's result and the
    /// revision (log index) it was applied at. Exactly once: retries inside use the same request id.
    /// `lane`: revocations draw on a reserve ordinary writes cannot take (`ProposalLane`).
    public func propose(_ command: [UInt8], lane: ProposalLane = .ordinary) async throws(ProposeError) -> (
        result: [UInt8], revision: LogIndex
    ) {
        let start = clock.now
        do {
            let answer = try await replicate(command, lane: lane)
            observer.proposalFinished(committed: true, duration: clock.now - start)
            return answer
        } catch {
            observer.proposalFinished(committed: false, duration: clock.now - start)
            throw error
        }
    }

    private func replicate(_ command: [UInt8], lane: ProposalLane) async throws(ProposeError) -> (
        result: [UInt8], revision: LogIndex
    ) {
        try checkAcceptingProposals(lane: lane)
        while true {
            let session = try await currentSession()
            let request = RequestID(session: session, sequence: nextSequence)
            nextSequence += 1
            do {
                let outcome = try await submit(
                    .command(request), payload: ProposalEnvelope.command(request, command).encoded(), lane: lane)
                return (outcome.result, outcome.index)
            } catch .sessionExpired where isRetryableExpiry(of: request) {
                // Refused on its only offer: provably not applied. Retry under a fresh session.
                if self.session == session { self.session = nil }
                continue
            } catch .staleSequence {
                // A later request of this session applied first (the two met different leaders). This one's
                // waiter was still here, so it had not applied, and no copy of it can apply after a later
                // sequence: proposing the command again under the next sequence applies it exactly once.
                continue
            }
        }
    }

    private func checkAcceptingProposals(lane: ProposalLane) throws(ProposeError) {
        guard failure == nil, !isStopped else { throw .stopped }
        let limit = Self.pendingLimit(of: lane, options: options)
        guard waiters.count < limit else { throw .overloaded(limit: limit) }
    }

    /// How many proposals may wait when one of `lane` arrives: ordinary ones leave the revocation reserve.
    static func pendingLimit(of lane: ProposalLane, options: RaftNodeOptions) -> Int {
        switch lane {
        // At least one slot: a small budget with the default reserve still takes ordinary writes.
        case .ordinary: max(1, options.maxPendingProposals - options.reservedRevocationProposals)
        case .revocation: options.maxPendingProposals
        }
    }

    private var lastExpiredOffers: [RequestID: Int] = [:]

    private func isRetryableExpiry(of request: RequestID) -> Bool {
        lastExpiredOffers.removeValue(forKey: request) == 1
    }

    private func currentSession() async throws(ProposeError) -> LogIndex {
        if let session { return session }
        let registration: Task<LogIndex, any Error>
        if let pending = sessionRegistration {
            registration = pending
        } else {
            let nonce = UInt64.random(in: 1 ... .max)
            registration = Task {
                // A session serves every lane: registering one may use the reserve.
                try await self.submit(
                    .registration(nonce: nonce), payload: ProposalEnvelope.registerSession(nonce: nonce).encoded(),
                    lane: .revocation
                ).index
            }
            sessionRegistration = registration
        }
        do {
            let session = try await registration.value
            self.session = session
            sessionRegistration = nil
            return session
        } catch {
            sessionRegistration = nil
            throw (error as? ProposeError) ?? .stopped
        }
    }

    private func submit(_ key: WaiterKey, payload: [UInt8], lane: ProposalLane) async throws(ProposeError) -> (
        result: [UInt8], index: LogIndex
    ) {
        try checkAcceptingProposals(lane: lane)
        precondition(waiters[key] == nil, "one waiter per request")
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let now = clock.now
                waiters[key] = ProposalWaiter(
                    continuation: continuation, payload: payload, deadline: now + options.proposalTimeout,
                    noLeaderDeadline: now + options.noLeaderProposalTimeout, retryAt: now)
                offer(key)
                collectReady()
            }
        } catch let error as ProposeError {
            throw error
        } catch {
            preconditionFailure("waiters are only failed with ProposeError, got \(error)")
        }
    }

    /// Offers a waiting proposal to the core. `noLeader` leaves it for the next tick; other refusals
    /// (too many uncommitted bytes, too large) are answered at once.
    private func offer(_ key: WaiterKey) {
        guard var waiter = waiters[key] else { return }
        do {
            _ = try core.propose(waiter.payload)
            waiter.offers += 1
            waiter.retryAt = clock.now + options.proposalRetryInterval
            waiters[key] = waiter
        } catch .noLeader, .transferInProgress {
            // Both pass within an election timeout: try again on the next tick.
            waiter.retryAt = clock.now + options.tickInterval
            waiters[key] = waiter
        } catch {
            finish(key, .failure(.refused(error)))
        }
    }

    /// A new leader is known: proposals offered to the old one were probably lost with it, so offer them
    /// again now rather than at their retry time (the session makes a second copy harmless).
    private func reofferWaitingProposals() {
        for key in Array(waiters.keys) { offer(key) }
    }

    private func finish(_ key: WaiterKey, _ result: Result<(result: [UInt8], index: LogIndex), ProposeError>) {
        guard let waiter = waiters.removeValue(forKey: key) else { return }
        if case .failure(.sessionExpired) = result, case .command(let request) = key {
            lastExpiredOffers[request] = waiter.offers
        }
        waiter.continuation.resume(with: result.mapError { $0 as any Error })
    }

    private func failAllWaiters(_ error: ProposeError) {
        for key in Array(waiters.keys) { finish(key, .failure(error)) }
    }

    // MARK: - Linearizable reads, leadership, membership

    /// A linearizable read point (Raft thesis §6.4, ReadIndex — no log write): once this returns `index`,
    /// this member has applied through it, so its local state reflects every write acknowledged before
    /// the call began. Throws a retryable `ReadError` when no leader confirms in time.
    public func readIndex(timeout: Duration) async throws(ReadError) -> LogIndex {
        guard failure == nil, !isStopped else { throw .stopped }
        let context = nextReadContext
        nextReadContext += 1
        do {
            return try await withCheckedThrowingContinuation { continuation in
                readWaiters[context] = ReadWaiter(continuation: continuation, deadline: clock.now + timeout)
                do throws(ReadIndexError) {
                    try core.readIndex(context: context)
                } catch {
                    finishRead(context, .failure(.refused(error)))
                    return
                }
                collectReady()
            }
        } catch let error as ReadError {
            throw error
        } catch {
            preconditionFailure("reads are only failed with ReadError, got \(error)")
        }
    }

    private func finishRead(_ context: ReadContext, _ result: Result<LogIndex, ReadError>) {
        guard let waiter = readWaiters.removeValue(forKey: context) else { return }
        waiter.continuation.resume(with: result.mapError { $0 as any Error })
    }

    /// Answers every released read whose index the state machine has now applied.
    private func answerAppliedReads() {
        for (context, waiter) in readWaiters {
            if let index = waiter.index, index <= appliedIndex { finishRead(context, .success(index)) }
        }
    }

    /// Hands leadership to `target` (TimeoutNow once it is caught up); proposals pause meanwhile.
    public func transferLeadership(to target: NodeID) throws(TransferError) {
        try core.transferLeadership(to: target)
        collectReady()
    }

    /// Proposes one membership change (learner, promotion, removal) and waits until it is applied here.
    /// Refused at once when another change is pending or the placement would not survive a region loss
    /// (unless `force`).
    public func changeMembership(_ change: MembershipChange, force: Bool = false, timeout: Duration) async throws
        -> LogIndex
    {
        let position = try core.proposeMembershipChange(change, force: force)
        collectReady()
        let deadline = clock.now + timeout
        while appliedIndex < position.index {
            guard clock.now < deadline, failure == nil, !isStopped else { throw ProposeError.timedOut }
            try await Task.sleep(for: options.tickInterval)
        }
        // The entry still in the log with its term proves the change happened. Compacted away (a snapshot
        // installed meanwhile), only its effect on the applied configuration can say so; without it the
        // outcome is unknown, reported as a timeout for the caller to look at the member list.
        let kept = core.firstIndex <= position.index && core.term(at: position.index) == position.term
        guard
            kept
                || (core.firstIndex > position.index
                    && Self.isInEffect(change, in: core.configuration(at: appliedIndex)))
        else {
            throw ProposeError.timedOut
        }
        return position.index
    }

    /// Whether `configuration` shows `change` done (used once the change's own entry is compacted away).
    static func isInEffect(_ change: MembershipChange, in configuration: MembershipConfiguration) -> Bool {
        switch change {
        case .addLearner(let id, _, _): configuration.members.contains(id)
        case .promote(let id): configuration.isVoter(id)
        case .remove(let id): !configuration.members.contains(id)
        }
    }

    /// The transport saw `peer`'s connection reset or refused: if it is the leader, campaign now.
    public func peerUnreachable(_ peer: NodeID) {
        guard failure == nil, !isStopped else { return }
        core.peerUnreachable(peer)
        collectReady()
    }

    // MARK: - Inputs

    private func tick(lateness: Duration, threshold: Duration) {
        guard failure == nil, !isStopped else { return }
        observer.ticked(lateness: lateness, late: lateness > threshold)
        if lateness > threshold {
            lateTicks.warn(lateness: lateness, threshold: threshold, logger: logger, now: clock.now)
        }
        for peer in snapshotState.outgoing.keys { core.snapshotTransferProgressing(to: peer) }
        core.tick()
        let now = clock.now
        for (key, waiter) in waiters {
            if waiter.offers == 0 && now >= waiter.noLeaderDeadline {
                finish(key, .failure(.refused(.noLeader)))
            } else if now >= waiter.deadline {
                finish(key, .failure(.timedOut))
            } else if now >= waiter.retryAt {
                offer(key)
            }
        }
        for (context, waiter) in readWaiters where now >= waiter.deadline {
            finishRead(context, .failure(.timedOut))
        }
        appliedWaiters.expire(now: now, with: ReadError.timedOut)
        collectReady()
        checkLeadership()
    }

    private func receive(_ message: Message) {
        guard failure == nil, !isStopped else { return }
        peerHearing.heard(from: message.from, at: clock.now)
        if case .installSnapshotChunk(let chunk) = message.body {
            receiveSnapshotChunk(chunk, in: message)
            return
        }
        core.step(message)
        collectReady()
    }

    // MARK: - Ready pipeline

    /// Called after every input: publishes the read state, and takes the core's `Ready` on the actor's next
    /// turn rather than now — every input that arrives meanwhile (under load, many proposals) shares that
    /// one Ready: one append per follower carrying all their entries, instead of one per proposal.
    func collectReady() {
        published.publish(
            commitIndex: core.commitIndex, appliedIndex: appliedIndex, stateCurrentAsOf: stateCurrentAsOf())
        guard !isReadyCollectionScheduled, failure == nil, !isStopped, core.hasReady else { return }
        isReadyCollectionScheduled = true
        Task { await self.collectScheduledReady() }
    }

    private func collectScheduledReady() {
        isReadyCollectionScheduled = false
        guard failure == nil, !isStopped, core.hasReady else { return }
        takeReady()
        published.publish(
            commitIndex: core.commitIndex, appliedIndex: appliedIndex, stateCurrentAsOf: stateCurrentAsOf())
    }

    private func takeReady() {
        var ready = core.ready()
        // Before any of this Ready's messages leaves: a probe's stamp is no later than its departure.
        probeStamps.issued(ready.freshnessProbesIssued, at: clock.now)
        syncTransportPeers()
        for released in ready.readStates { readWaiters[released.context]?.index = released.index }
        for failed in ready.failedReads { finishRead(failed.context, .failure(.failed(failed.reason))) }
        answerAppliedReads()
        if let change = ready.roleChange {
            leadershipChanged(change)
            leaderHistory.record(leader: change.leader, term: change.term)
            roleSince = clock.now
            if change.leader != nil { reofferWaitingProposals() }
            if change.role != .leader { cancelOutgoingSnapshotTransfers() }
        }
        if outOfSpace != nil && !ready.needsPersisting {
            sendWhileOutOfSpace(ready.messages)
            ready.messages = []
            guard !ready.committedEntries.isEmpty || !ready.snapshotsToSend.isEmpty else { return }
        }
        if !isFlushing && !ready.needsPersisting {
            // Nothing is being persisted and this Ready writes nothing: its messages depend on nothing new.
            send(ready.messages)
            startSnapshotTransfers(ready.snapshotsToSend)
            ready.messages = []
            ready.snapshotsToSend = []
            guard !ready.committedEntries.isEmpty else { return }
        }
        if outOfSpace == nil {
            // Raft thesis §10.2.1: a leader's appends and heartbeats leave while its own write is in flight;
            // it counts itself toward commitment only once `flush` reports the write durable. (A leader
            // whose writes fail for want of space stays silent instead, so that another is elected.)
            let sendsNow = { (message: Message) in
                message.maySendBeforePersisting && self.durable.violation(message) == nil
            }
            let early = ready.messages.filter(sendsNow)
            if !early.isEmpty {
                send(early)
                ready.messages.removeAll(where: sendsNow)
            }
        }
        pendingReadies.append(ready)
        flushSoon()
    }

    /// Starts the flush loop unless it runs already.
    func flushSoon() {
        guard !isFlushing else { return }
        isFlushing = true
        Task { await self.flush() }
    }

    /// Persists and applies everything pending in one write, then sends its messages and answers waiters;
    /// repeats until nothing is pending.
    private func flush() async {
        while (!pendingReadies.isEmpty || snapshotState.pendingCompaction != nil) && failure == nil {
            let batch = pendingReadies
            pendingReadies.removeAll()
            let compaction = snapshotState.pendingCompaction
            snapshotState.pendingCompaction = nil
            let persister = self.persister
            do {
                // The body may run twice (the map grew): only the run that committed is reported.
                let (outcomes, applied) = try await writer.write(
                    durability: Self.durability(of: batch, compaction: compaction, durable: durable)
                ) { txn in
                    var applied: (entries: Int, duration: Duration)?
                    let outcomes = try persister.persist(batch, compaction: compaction, in: txn) { applied = ($0, $1) }
                    return (outcomes, applied)
                }
                if let applied { observer.applied(entries: applied.entries, duration: applied.duration) }
                for ready in batch { durable.persisted(ready) }
                if let through = batch.lazy.compactMap(\.persistedThrough).last {
                    reportDurable(through)
                }
                for ready in batch {
                    if !ready.messages.isEmpty { send(ready.messages) }
                    startSnapshotTransfers(ready.snapshotsToSend)
                }
                snapshotsDurable(installedIn: batch, compaction: compaction)
                noteApplied(batch)
                if let applied = Self.appliedIndex(after: batch) {
                    appliedIndex = applied
                    core.stateMachineApplied(through: applied)
                    appliedWaiters.applied(through: applied)
                    answerAppliedReads()
                }
                for outcome in outcomes { resolve(outcome) }
                // What the durable write and the applies released: a leader's commit, reads, probes.
                collectReady()
                if outOfSpace != nil {
                    outOfSpace = nil
                    logger.notice("storage has space again; writes resumed")
                }
            } catch let error as StorageError where error.isOutOfSpace {
                // Nothing of the batch is durable (the transaction aborted): it goes back to the front,
                // unsent and unapplied, and is written whole once space is freed.
                pendingReadies.insert(contentsOf: batch, at: 0)
                if snapshotState.pendingCompaction == nil { snapshotState.pendingCompaction = compaction }
                if outOfSpace == nil {
                    logger.critical(
                        "storage is out of space; writes wait until space is freed, unlocks are answered while this member's state is fresh",
                        metadata: ["error": "\(error)", "retryInterval": "\(options.outOfSpaceRetryInterval)"])
                }
                outOfSpace = error.description
                try? await Task.sleep(for: options.outOfSpaceRetryInterval)
            } catch {
                stopAfterStorageFailure(error)
            }
        }
        isFlushing = false
        for waiter in flushIdleWaiters { waiter.resume() }
        flushIdleWaiters.removeAll()
        snapshotIfDue()
    }

    /// How durable `batch`'s write must be before its messages leave. A batch that only applies committed
    /// entries (and moves the commit index) may leave its meta-page sync to the next write
    /// (`CommitDurability.deferredToNextCommit`): a machine crash may then undo it, and the restart
    /// applies those entries again from the log, which holds them durably — the applied index lives in
    /// the same transaction, so state and index go back together. Terms, votes, entries, snapshots and
    /// compactions are promises to peers or drop log entries: they are synced before anything goes out.
    static func durability(of batch: [Ready], compaction: SnapshotCompaction?, durable: DurabilityLedger)
        -> CommitDurability
    {
        let onlyApplies =
            compaction == nil
            && batch.allSatisfy { ready in
                ready.entriesToAppend.isEmpty && ready.snapshotToInstall == nil
                    && (ready.hardState.map { $0.term == durable.term && $0.vote == durable.vote } ?? true)
            }
        return onlyApplies ? .deferredToNextCommit : .immediate
    }

    /// While writes wait for space, messages of Readies that write nothing would wait behind them for as
    /// long as the disk stays full. A follower's heartbeat answers and read requests (its freshness probes
    /// among them) promise nothing about its log, so they go out — the member stays fresh, and answers
    /// bounded unlocks, while it has applied what the leader committed. Everything else is dropped, as a
    /// network may drop it: a leader on a full disk falls silent and the others elect one that can write.
    private func sendWhileOutOfSpace(_ messages: [Message]) {
        send(
            messages.filter { message in
                switch message.body {
                case .heartbeatResponse, .readIndexRequest: durable.violation(message) == nil
                default: false
                }
            })
    }

    /// Tells the core its log is durable through `position`: a leader counts itself toward commitment
    /// from here, so reporting more than storage holds would let it commit with too few copies (asserted
    /// against the ledger in debug builds, as every message is).
    private func reportDurable(_ position: LogPosition) {
        assert(
            position.index <= durable.lastIndex, "reported \(position) durable with only \(durable.lastIndex) stored")
        core.logDurable(through: position)
    }

    /// Sends `messages`, each of which must depend only on durable state (asserted in debug builds).
    private func send(_ messages: [Message]) {
        assert(
            messages.allSatisfy { durable.violation($0) == nil },
            "sent before durable: \(messages.compactMap { durable.violation($0) }.joined(separator: "; "))")
        transport.send(messages)
    }

    private func resolve(_ outcome: ApplyOutcome) {
        switch outcome {
        case .sessionRegistered(let nonce, let session):
            finish(.registration(nonce: nonce), .success(([], session)))
        case .command(let request, .applied(let result, let index)):
            finish(.command(request), .success((result, index)))
        case .command(let request, .refused(let error)):
            if request.session == session, error == .sessionExpired { session = nil }
            finish(.command(request), .failure(error))
        }
    }

    private func stopAfterStorageFailure(_ error: any Error) {
        failure = "\(error)"
        logger.critical(
            "storage failed; the node stops rather than continue without its writes", metadata: ["error": "\(error)"])
        pendingReadies.removeAll()
        stopSnapshotTransfers()
        for loop in loops { loop.cancel() }
        failAllWaiters(.stopped)
        for context in Array(readWaiters.keys) { finishRead(context, .failure(.stopped)) }
        appliedWaiters.failAll(with: ReadError.stopped)
    }

    // MARK: - Observation

    /// Commits, writes and time spent committing (fsync) by this node's storage writer.
    public nonisolated var storageStatistics: GroupCommitWriter.Statistics { writer.statistics }

    /// The moment (on this process's monotonic clock) as of which this member's applied state is proven
    /// current: when the newest freshness probe the core counts as its witness left (`RaftCore+Freshness`).
    /// Nil until a probe issued since this process started was answered by a confirmed leader and applied.
    public func stateCurrentAsOf() -> ContinuousClock.Instant? {
        probeStamps.stamp(of: core.freshnessWitness)
    }

    /// Waits until this member has applied through `index` (no polling: the apply that reaches it resumes
    /// the caller); returns the applied index then. Fails with `timedOut` after `timeout`.
    public func waitUntilApplied(_ index: LogIndex, timeout: Duration) async throws(ReadError) -> LogIndex {
        guard failure == nil, !isStopped else { throw .stopped }
        if appliedIndex >= index { return appliedIndex }
        guard !appliedWaiters.isFull else { throw .tooManyWaiters(limit: appliedWaiters.maxWaiters) }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                appliedWaiters.add(index: index, deadline: clock.now + timeout, continuation: continuation)
            }
        } catch let error as ReadError {
            throw error
        } catch {
            preconditionFailure("applied-index waiters are only failed with ReadError, got \(error)")
        }
    }

    /// The highest index this member knows committed (cheaper than `status` on a request path).
    public var commitIndex: LogIndex { core.commitIndex }

    public var status: NodeStatus {
        var peers: [NodeID: ReplicationStatus] = [:]
        for peer in core.configuration.voters where peer != id {
            peers[peer] = core.replicationStatus(of: peer)
        }
        return NodeStatus(
            id: id, role: core.role, term: core.term, leader: core.leader, voters: core.configuration.voters,
            commitIndex: core.commitIndex, appliedIndex: appliedIndex, lastIndex: core.lastPosition.index,
            peers: peers, pendingProposals: waiters.count, failure: failure, outOfSpace: outOfSpace,
            snapshots: snapshotStatus,
            leaderChanges: leaderHistory.entries, silentPeers: silentPeers)
    }

    /// Peers expected to talk to this member that have been silent for longer than an election timeout:
    /// as leader every other voter (they answer each heartbeat), as follower its leader.
    var silentPeers: Set<NodeID> {
        let expected: [NodeID] =
            switch core.role {
            case .leader: core.configuration.voters.filter { $0 != id }
            default: core.leader.map { [$0] } ?? []
            }
        return peerHearing.silent(
            among: expected, now: clock.now, silence: options.tickInterval * options.raft.electionTimeoutTicks,
            since: roleSince)
    }
}
