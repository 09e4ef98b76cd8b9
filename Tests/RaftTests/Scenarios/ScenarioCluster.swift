import RaftCore

/// The one harness for scenario tests of the core: every `Ready` is carried out at once (writes durable
/// instantly), and messages move only when the test delivers them, so each test controls the exact
/// interleaving it talks about. Members are `n1...nN`; membership may change (`spawn`). A snapshot transfer
/// stands for the runtime's chunked stream: delivered whole, it is offered to the receiver's `restore` (the
/// byte plumbing is the simulator's and the node tests' job).
struct ScenarioCluster {
    private(set) var cores: [NodeID: RaftCore] = [:]
    /// Messages sent and not yet delivered, in send order.
    private(set) var inFlight: [Message] = []
    /// Snapshot transfers asked for and not yet delivered.
    private(set) var snapshotTransfers: [(from: NodeID, send: SnapshotSend)] = []
    /// Every message delivered so far, for assertions about what was said.
    private(set) var delivered: [Message] = []
    /// Every `ReadState` and `ReadFailure` a member's Readies handed out, by member.
    private(set) var readStates: [UInt64: [ReadState]] = [:]
    private(set) var failedReads: [UInt64: [ReadFailure]] = [:]
    /// Snapshots each member was told to install.
    private(set) var installed: [NodeID: [SnapshotMetadata]] = [:]
    /// Members cut off from everyone: messages to and from them are dropped.
    var isolated: Set<NodeID> = []
    static let maxSettleRounds = 200

    /// Every vote answer delivered, for assertions about who voted.
    var voteAnswers: [Message] {
        delivered.filter {
            if case .requestVoteResponse = $0.body { return true }
            return false
        }
    }

    /// Voters `n1...nN`. `stored` gives a member a durable state to start from, as after a restart.
    init(nodeCount: Int = 3, options: RaftOptions = RaftOptions(), stored: [UInt64: (HardState, [Entry])] = [:]) {
        self.init(voters: Array(1...UInt64(nodeCount)), options: options, stored: stored)
    }

    init(
        voters: [UInt64], regions: [UInt64: String] = [:], options: RaftOptions = RaftOptions(),
        stored: [UInt64: (HardState, [Entry])] = [:]
    ) {
        let configuration = MembershipConfiguration(
            voters: voters.map(NodeID.init),
            regions: Dictionary(uniqueKeysWithValues: regions.map { (NodeID($0.key), $0.value) })
        )
        for id in configuration.voters {
            let (hardState, entries) = stored[id.rawValue] ?? (.initial, [])
            cores[id] = RaftCore(
                id: id, configuration: configuration, options: options, hardState: hardState, entries: entries,
                randomSeed: id.rawValue)
        }
    }

    subscript(_ id: UInt64) -> RaftCore {
        guard let core = cores[NodeID(id)] else { preconditionFailure("no member n\(id)") }
        return core
    }

    /// Starts an empty member that knows only `configuration` (it learns the rest from the leader).
    mutating func spawn(_ id: UInt64, knowing configuration: MembershipConfiguration) {
        precondition(cores[NodeID(id)] == nil, "n\(id) exists already")
        cores[NodeID(id)] = RaftCore(
            id: NodeID(id), configuration: configuration, options: self[1].options, randomSeed: id)
    }

    /// Drains the member's Readies: messages join `inFlight`, transfers `snapshotTransfers`.
    mutating func collect(_ id: UInt64) {
        let node = NodeID(id)
        while cores[node]?.hasReady == true, var core = cores[node] {
            let ready = core.ready()
            // Writes here are durable at once: report them, as the runtime does after its fsync.
            if let persisted = ready.persistedThrough { core.logDurable(through: persisted) }
            cores[node] = core
            inFlight += ready.messages
            snapshotTransfers += ready.snapshotsToSend.map { (node, $0) }
            readStates[id, default: []] += ready.readStates
            failedReads[id, default: []] += ready.failedReads
            if let snapshot = ready.snapshotToInstall { installed[node, default: []].append(snapshot) }
        }
    }

    /// Gives a test direct access to one member's inputs (reads, transfers, connection loss), then
    /// collects what it produced.
    mutating func act<Result, Failure: Error>(_ id: UInt64, _ body: (inout RaftCore) throws(Failure) -> Result)
        throws(Failure) -> Result
    {
        defer { collect(id) }
        guard var core = cores[NodeID(id)] else { preconditionFailure("no member n\(id)") }
        defer { cores[NodeID(id)] = core }
        return try body(&core)
    }

    mutating func tick(_ id: UInt64, times: Int = 1) {
        for _ in 0..<times {
            act(id) { $0.tick() }
        }
    }

    /// Delivers every message and transfer now in flight (dropping those to or from isolated members, and
    /// to members that do not exist); replies wait for the next round. Returns how many were delivered.
    @discardableResult
    mutating func deliverRound() -> Int {
        let round = inFlight
        let transfers = snapshotTransfers
        inFlight.removeAll()
        snapshotTransfers.removeAll()
        var count = 0
        for message in round
        where !isolated.contains(message.from) && !isolated.contains(message.to) && cores[message.to] != nil {
            delivered.append(message)
            act(message.to.rawValue) { $0.step(message) }
            count += 1
        }
        for (from, send) in transfers
        where !isolated.contains(from) && !isolated.contains(send.to) && cores[send.to] != nil {
            _ = try? act(send.to.rawValue) { core throws(SnapshotRestoreError) in
                try core.restore(send.metadata, from: from, term: send.term)
            }
            count += 1
        }
        return count
    }

    /// Delivers rounds until nothing is in flight.
    mutating func settle() {
        for _ in 0..<Self.maxSettleRounds where !(inFlight.isEmpty && snapshotTransfers.isEmpty) {
            deliverRound()
        }
        precondition(
            inFlight.allSatisfy { isolated.contains($0.from) || isolated.contains($0.to) || cores[$0.to] == nil },
            "the cluster did not settle")
        inFlight.removeAll()
        snapshotTransfers.removeAll()
    }

    /// Ticks `id` until its election timeout fires, then lets the election run to its end.
    mutating func campaign(_ id: UInt64) {
        let maxTicks = 2 * self[id].options.electionTimeoutTicks
        for _ in 0..<maxTicks where self[id].role == .follower {
            tick(id)
        }
        precondition(self[id].role != .follower, "n\(id) did not campaign within \(maxTicks) ticks")
        settle()
    }

    mutating func propose(_ id: UInt64, _ payload: [UInt8]) throws(ProposalError) -> ProposalOutcome {
        try act(id) { core throws(ProposalError) in try core.propose(payload) }
    }

    /// Proposes `count` commands at `leader` and lets them commit.
    mutating func commitCommands(_ count: Int, at leader: UInt64) {
        for value in 0..<count {
            _ = try? propose(leader, [UInt8(truncatingIfNeeded: value)])
            settle()
        }
    }

    /// The runtime's snapshot step: snapshot at the applied index and compact.
    mutating func snapshot(_ id: UInt64) {
        act(id) { core in
            guard let metadata = core.snapshotMetadata(at: core.appliedIndex) else { return }
            core.compact(through: metadata.index, snapshot: metadata)
        }
    }

    /// Steps one message into a member directly and returns what it answers (taken out of `inFlight`).
    mutating func answer(_ id: UInt64, to message: Message) -> [Message] {
        let before = inFlight.count
        act(id) { $0.step(message) }
        let replies = Array(inFlight[before...])
        inFlight.removeSubrange(before...)
        return replies
    }
}
