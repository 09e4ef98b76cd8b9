import RaftCore

/// Something that happens at a simulated time.
enum SimEvent {
    case tick(NodeID)
    case deliver(Message)
    case diskWriteCompleted(NodeID, incarnation: Int)
    case clientStep(clientID: Int)
    case clientTimeout(clientID: Int, sequence: Int, attempt: Int)
    case nemesis
    case crash(NodeID)
    case restart(NodeID)
    case healAll
    case membershipChange
    /// An operator's leadership transfer, or a spurious connection-loss report (`Simulation+ReadIndex`).
    case operatorAction
    /// `observer`'s transport reports `peer`'s connection lost.
    case connectionLost(observer: NodeID, peer: NodeID)
    /// Someone asks a random member for a bounded-staleness read (`Simulation+Freshness`).
    case boundedRead
    /// Figure 8's move: a leader cut off with what only it holds crashes, and its links come back.
    case isolatedLeaderCrash(NodeID)
}

/// A deterministic simulation of one cluster: every choice — delays, losses, crashes, timeouts,
/// client behaviour — is drawn from one generator seeded with `seed`, so a seed replays exactly.
///
/// A run has a fault phase (crashes, partitions, loss, duplication, reordering), then heals
/// everything and requires progress within bounds. Safety is checked after every event; at the
/// end, exactly-once application and linearizability of the client history.
final class Simulation {
    static let unitsPerTick = 10
    static let clientCount = 4
    static let keys = ["x", "y", "z"]
    /// Liveness: after the heal, a leader must be elected and commit an entry of its term within this.
    static let leaderAfterHealBoundTicks = 100
    /// Liveness: after the heal, every client must finish within this (includes a client timeout).
    static let clientsAfterHealBoundTicks = 200
    /// A calm network (everyone up, no loss, no partition) after the first leader of the heal commits:
    /// the run goes on this long, and no member may start a term meanwhile (PreVote and the leader lease
    /// keep a returning member from disturbing a working leader).
    static let calmTicks = 60
    static let clientTimeoutTicks = 25
    static let maxEvents = 2_000_000
    static let defaultTraceCapacity = 40

    let seed: UInt64
    var random: DeterministicRandom
    let options: RaftOptions
    let configuration: MembershipConfiguration
    var nodes: [SimNode] = []
    var network = SimNetwork()
    var clients: [SimClient] = []
    var history: [KeyValueHistoryOperation] = []
    /// Orders invocations and returns for the linearizability checker.
    var historyClock = 0
    var checker = SafetyChecker()
    var queue = EventQueue<SimEvent>()
    var now: SimTime = 0
    var trace: RingBuffer<(time: SimTime, event: SimEvent)>
    let faultsEndAt: SimTime
    let nemesisIntervalUnits: Range<SimTime>
    let downtimeUnits: Range<SimTime>
    let crashNewLeaderPercent: UInt64
    /// A run shaped to produce Raft's Figure 8 (see `isolateLeaderThenCrash`).
    let isFigure8Run: Bool
    static let figure8RunPercent: UInt64 = 25
    var healedAt: SimTime?
    var leaderCommittedAfterHealAt: SimTime?
    var settledAt: SimTime?
    /// The term of the first leader to commit after the heal and every pause; no member may go past it.
    var calmTerm: Term?
    private(set) var eventCount = 0
    /// Membership changes the leaders accepted (`Simulation+Membership`), for coverage.
    var membershipChangesAccepted = 0
    /// Clients' ReadIndex reads in flight (`Simulation+ReadIndex`).
    var reads = SimReads()
    /// Whether the transport reports a crashed member's connection lost to the others (fast failover).
    var failoverNotifications = true
    /// Bounded-staleness reads and what was applied when (`Simulation+Freshness`).
    var freshness = SimFreshness()
    /// The bound of bounded reads in this run.
    let maxStalenessUnits: SimTime

    init(seed: UInt64, traceCapacity: Int = defaultTraceCapacity) {
        self.seed = seed
        self.trace = RingBuffer(capacity: traceCapacity)
        var random = DeterministicRandom(seed: seed)
        let nodeCount = random.chance(1, in: 2) ? 3 : 5
        let initialVoters = (1...UInt64(nodeCount)).map(NodeID.init)
        self.configuration = MembershipConfiguration(
            voters: initialVoters,
            regions: Dictionary(uniqueKeysWithValues: initialVoters.map { ($0, Self.region(of: $0)) }))
        var options = RaftOptions()
        // Small bounds, so batching, pipelining limits and refusals all happen.
        options.maxInflightMessages = 1 + random.next(in: 0..<4)
        options.maxInflightBytes = 300 + random.next(in: 0..<2_000)
        options.maxMessageBytes = 50 + random.next(in: 0..<300)
        options.maxEntriesPerMessage = random.chance(1, in: 2) ? 1 : 2 + random.next(in: 0..<4)
        options.maxUncommittedBytes = 100 + random.next(in: 0..<1_000)
        options.maxReadyApplyBytes = options.maxMessageBytes
        // Above two simulated round trips, so staggered failover campaigns rarely collide.
        options.failoverStaggerTicks = 3
        // Snapshots often, so compaction, transfers and installs happen in every run.
        options.snapshotThresholdEntries = 10 + random.next(in: 0..<40)
        options.retainedEntriesForSlowFollowers = random.next(in: 0..<8)
        options.snapshotTimeoutTicks = 20 + random.next(in: 0..<40)
        options.maxPromotionLagEntries = 5 + random.next(in: 0..<30)
        // Figure-8 runs: one entry per message (so an old-term entry can be acknowledged before the new
        // leader's own), young leaders crash, short downtimes, and the nemesis mostly isolates leaders.
        let isFigure8Run = random.chance(Self.figure8RunPercent, in: 100)
        self.isFigure8Run = isFigure8Run
        if isFigure8Run { options.maxEntriesPerMessage = 1 }
        self.options = options
        self.faultsEndAt = (200 + random.next(in: 0..<400)) * Self.unitsPerTick
        self.nemesisIntervalUnits =
            Self.nemesisIntervalChoicesUnits[random.next(in: 0..<Self.nemesisIntervalChoicesUnits.count)]
        let downtime = Self.downtimeChoicesUnits[random.next(in: 0..<Self.downtimeChoicesUnits.count)]
        self.downtimeUnits = isFigure8Run ? Self.downtimeChoicesUnits[0] : downtime
        let crashNewLeader = Self.crashNewLeaderPercentChoices[
            random.next(in: 0..<Self.crashNewLeaderPercentChoices.count)]
        self.crashNewLeaderPercent = isFigure8Run ? 70 : crashNewLeader
        self.maxStalenessUnits = (5 + random.next(in: 0..<60)) * Self.unitsPerTick
        self.random = random
        for id in configuration.voters {
            nodes.append(
                SimNode(
                    id: id,
                    core: RaftCore(
                        id: id, configuration: configuration, options: options, randomSeed: self.random.next())))
        }
        for clientID in 1...Self.clientCount {
            // Clients keep issuing requests through the whole fault phase; the heal limits them to one more.
            clients.append(SimClient(id: clientID, remainingOperations: .max))
        }
    }

    /// Ticks from the heal until a leader had committed an entry of its term, once it happened.
    var healToLeaderCommitTicks: Int? {
        guard let healedAt, let leaderCommittedAfterHealAt else { return nil }
        return (leaderCommittedAfterHealAt - healedAt) / Self.unitsPerTick
    }

    var summary: String {
        "\(nodes.count) nodes\(isFigure8Run ? " (figure-8 run)" : ""), nemesis every \(nemesisIntervalUnits) units, downtime \(downtimeUnits) units, new leaders crashed \(crashNewLeaderPercent)%, \(eventCount) events, \(history.count) client operations, \(checker.committedCount) committed entries, faults until tick \(faultsEndAt / Self.unitsPerTick)"
    }

    /// Each member's state, with its log as runs of terms ("1-3@1 4-9@2"), one per line.
    var renderedNodes: String {
        nodes.map { node in
            guard let core = node.core else { return "  \(node.id) down" }
            var runs: [String] = []
            var runStart = core.firstIndex
            for (offset, entry) in core.entries.enumerated() {
                let isRunEnd = offset + 1 == core.entries.count || core.entries[offset + 1].term != entry.term
                if isRunEnd {
                    runs.append("\(runStart)-\(entry.index)@\(entry.term)")
                    runStart = entry.index + 1
                }
            }
            return
                "  \(node.id) \(core.role) term \(core.term) commit \(core.commitIndex) applied \(node.stateMachineAppliedIndex) log \(runs.joined(separator: " ")) \(core.configuration)"
        }.joined(separator: "\n")
    }

    /// The last events before now, oldest first, one per line.
    var renderedTrace: String {
        trace.elements.map { "  t=\($0.time) \($0.event)" }.joined(separator: "\n")
    }

    func run() throws(SimulationFailure) {
        for node in nodes {
            schedule(.tick(node.id), after: random.next(in: 0..<Self.unitsPerTick))
        }
        for client in clients {
            schedule(.clientStep(clientID: client.id), after: random.next(in: 0..<50))
        }
        schedule(.nemesis, after: random.next(in: nemesisIntervalUnits))
        queue.schedule(.healAll, at: faultsEndAt)
        schedule(.membershipChange, after: random.next(in: Self.membershipChangeIntervalUnits))
        schedule(.operatorAction, after: random.next(in: Self.operatorIntervalUnits))
        schedule(.boundedRead, after: random.next(in: Self.boundedReadIntervalUnits))
        while let (time, event) = queue.popEarliest() {
            precondition(time >= now, "simulated time went backwards")
            now = time
            eventCount += 1
            guard eventCount <= Self.maxEvents else {
                throw SimulationFailure(invariant: "event budget", detail: "more than \(Self.maxEvents) events")
            }
            trace.append((now, event))
            try handle(event)
            try checker.checkElectionSafety(nodes.compactMap(\.core))
            try checkLiveness()
            if let settledAt, now >= settledAt { break }
        }
        try checkClientOutcomes()
    }

    func schedule(_ event: SimEvent, after delay: SimTime) {
        precondition(delay >= 0, "events are scheduled in the future")
        queue.schedule(event, at: now + delay)
    }

    func node(_ id: NodeID) -> SimNode {
        guard let node = nodes.first(where: { $0.id == id }) else { preconditionFailure("unknown node \(id)") }
        return node
    }

    func handle(_ event: SimEvent) throws(SimulationFailure) {
        guard !deferredWhilePaused(event) else { return }
        switch event {
        case .tick(let id):
            node(id).withCore { $0.tick() }
            try drain(node(id))
            schedule(.tick(id), after: Self.unitsPerTick)
        case .deliver(let message):
            let target = node(message.to)
            guard target.isUp, !network.isBlocked(from: message.from, to: message.to) else { return }
            target.withCore { $0.step(message) }
            if case .timeoutNow = message.body, let calm = calmTerm, target.core?.term ?? 0 > calm {
                // A transfer an operator asked for before the heal completes now: its term is expected.
                calmTerm = target.core?.term
            }
            target.receiveSnapshotChunk(message)
            try drain(target)
        case .diskWriteCompleted(let id, let incarnation):
            try completeWrite(node(id), incarnation: incarnation)
        case .clientStep(let clientID):
            try clientStep(clientID)
        case .clientTimeout(let clientID, let sequence, let attempt):
            try clientTimedOut(clientID, sequence: sequence, attempt: attempt)
        case .nemesis:
            try nemesis()
        case .crash(let id):
            crash(node(id))
        case .restart(let id):
            try restart(node(id))
        case .healAll:
            try healAll()
        case .membershipChange:
            try membershipChange()
        case .operatorAction:
            try operatorAction()
        case .connectionLost(let observer, let peer):
            try connectionLost(observer: observer, peer: peer)
        case .boundedRead:
            try boundedRead()
        case .isolatedLeaderCrash(let id):
            crash(node(id))
            network.unblock(id)
        }
    }

    // MARK: - The runtime model: persist, then send, then apply

    /// Hands every Ready to the node's disk queue; its effects happen when the write completes.
    func drain(_ node: SimNode) throws(SimulationFailure) {
        while let ready = node.takeReady() {
            guard let core = node.core else { return }
            stampProbes(of: ready, on: node)
            try checker.observe(ready, of: core, leaders: nodes.compactMap(\.core).filter { $0.role == .leader }) {
                entry in
                self.nodes.count { (try? $0.disk.term(at: entry.index)) == entry.term }
            }
            if ready.roleChange?.role == .leader {
                leaderElected(node.id)
            }
            // Raft thesis §10.2.1, as `RaftNode` does it: a leader's appends leave while its own write is
            // in flight; the leader counts itself only once the write reports durable (`completeWrite`).
            for message in node.takeMessagesSendableBeforePersisting() {
                send(message)
            }
            let writeDelay = ready.needsPersisting ? 1 + random.next(in: 0..<25) : 0
            node.lastWriteCompletesAt = max(node.lastWriteCompletesAt, now + writeDelay)
            queue.schedule(.diskWriteCompleted(node.id, incarnation: node.incarnation), at: node.lastWriteCompletesAt)
        }
    }

    private func completeWrite(_ node: SimNode, incarnation: Int) throws(SimulationFailure) {
        guard node.incarnation == incarnation, let ready = try node.completeOldestWrite() else { return }
        for message in ready.messages {
            if let violation = node.durable.violation(message) {
                throw SimulationFailure(invariant: "durable before send", detail: "\(node.id): \(violation)")
            }
            send(message)
        }
        for transfer in ready.snapshotsToSend {
            for chunk in try node.snapshotChunks(for: transfer, chunkBytes: options.maxMessageBytes) {
                send(chunk)
            }
        }
        for entry in ready.committedEntries {
            try checker.observeApplied(entry, by: node.id)
            if let (command, result) = try node.apply(entry) {
                acknowledge(command, result: result)
            }
        }
        reportApplied(on: node)
        try node.snapshotIfDue()
        handleReadOutcomes(of: ready, on: node)
        if let persisted = ready.persistedThrough {
            node.withCore { $0.logDurable(through: persisted) }
            try drain(node)
        }
    }

    func send(_ message: Message) {
        guard !network.isBlocked(from: message.from, to: message.to), !random.chance(network.dropPercent, in: 100)
        else { return }
        schedule(.deliver(message), after: deliveryDelay())
        if random.chance(network.duplicatePercent, in: 100) {
            schedule(.deliver(message), after: deliveryDelay())
        }
    }

    private func deliveryDelay() -> SimTime {
        random.chance(network.longDelayPercent, in: 100) ? 20 + random.next(in: 0..<400) : 1 + random.next(in: 0..<15)
    }

    func restart(_ node: SimNode) throws(SimulationFailure) {
        guard !node.isUp else { return }
        try node.restart(configuration: configuration, options: options, randomSeed: random.next(), now: now)
        try drain(node)
    }

    // MARK: - Liveness

    /// After the heal: a leader that has committed an entry of its own term within a bound, and every
    /// client finished within a bound.
    private func checkLiveness() throws(SimulationFailure) {
        guard let healedAt else { return }
        // Calm begins once no member is paused (a pause started before the heal may outlast it), a leader
        // has committed an entry of its term, and every member follows it (elections a pause provoked
        // have ended, and so have membership changes).
        if calmTerm == nil, (reads.pausedUntil.values.max() ?? 0) < now {
            let cores = nodes.compactMap(\.core)
            if let leader = cores.first(where: { $0.role == .leader && $0.term(at: $0.commitIndex) == $0.term }),
                cores.count == nodes.count,
                // No membership change under way (removing the leader ends its term by design).
                leader.configuration(at: leader.commitIndex) == leader.configuration,
                leader.configuration.isVoter(leader.id),
                cores.allSatisfy({ $0.term == leader.term && $0.leader == leader.id })
            {
                calmTerm = leader.term
            }
        }
        if let calmTerm, let disturbed = nodes.compactMap(\.core).first(where: { $0.term > calmTerm }) {
            throw SimulationFailure(
                invariant: "liveness",
                detail:
                    "\(disturbed.id) moved to term \(disturbed.term) after the leader of term \(calmTerm) committed in a calm network"
            )
        }
        if leaderCommittedAfterHealAt == nil {
            let committingLeader = nodes.compactMap(\.core).first {
                $0.role == .leader && $0.term(at: $0.commitIndex) == $0.term
            }
            if committingLeader != nil {
                leaderCommittedAfterHealAt = now
            } else if now > healedAt + Self.leaderAfterHealBoundTicks * Self.unitsPerTick {
                throw SimulationFailure(
                    invariant: "liveness",
                    detail: "no leader committed an entry within \(Self.leaderAfterHealBoundTicks) ticks of the heal")
            }
        }
        if settledAt == nil {
            if clients.allSatisfy(\.isFinished) && leaderCommittedAfterHealAt != nil {
                settledAt = now + Self.calmTicks * Self.unitsPerTick
            } else if now > healedAt + Self.clientsAfterHealBoundTicks * Self.unitsPerTick {
                let waiting = clients.filter { !$0.isFinished }.map { "c\($0.id)" }
                throw SimulationFailure(
                    invariant: "liveness",
                    detail: "clients \(waiting) unfinished \(Self.clientsAfterHealBoundTicks) ticks after the heal")
            }
        }
    }

    // MARK: - End of run

    private func checkClientOutcomes() throws(SimulationFailure) {
        guard let mostApplied = nodes.max(by: { $0.stateMachineAppliedIndex < $1.stateMachineAppliedIndex }) else {
            preconditionFailure("a cluster has members")
        }
        let effects = mostApplied.stateMachine.effectCounts
        for client in clients {
            for sequence in 1..<client.nextSequence {
                let operation = KeyValueStateMachine.OperationID(clientID: client.id, sequence: sequence)
                // A ReadIndex read never enters the log; linearizability covers it.
                guard !reads.operations.contains(operation) else { continue }
                let count = effects[operation] ?? 0
                guard count == 1 else {
                    throw SimulationFailure(
                        invariant: "exactly once",
                        detail: "c\(client.id)#\(sequence) took effect \(count) times on \(mostApplied.id)")
                }
            }
        }
        if let key = LinearizabilityChecker.firstNonLinearizableKey(history) {
            let operations = history.filter { $0.key == key }.map { "  \($0)" }.joined(separator: "\n")
            throw SimulationFailure(
                invariant: "linearizability", detail: "history of key \(key) has no linearization:\n\(operations)")
        }
    }
}
