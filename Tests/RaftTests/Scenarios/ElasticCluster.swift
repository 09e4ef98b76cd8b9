import RaftCore

/// A cluster whose membership may change, for snapshot and membership scenarios. Like
/// `ScenarioCluster`, every `Ready` is carried out at once and messages move only when the test
/// delivers them. A snapshot transfer stands for the runtime's chunked stream: delivered whole, it is
/// offered to the receiver's `restore` (the byte plumbing is the simulator's job).
struct ElasticCluster {
    private(set) var cores: [NodeID: RaftCore] = [:]
    private(set) var inFlight: [Message] = []
    private(set) var snapshotTransfers: [(from: NodeID, send: SnapshotSend)] = []
    /// Every vote answer delivered, for assertions about who voted.
    private(set) var voteAnswers: [Message] = []
    /// Snapshots each member was told to install.
    private(set) var installed: [NodeID: [SnapshotMetadata]] = [:]
    var isolated: Set<NodeID> = []
    static let maxSettleRounds = 200

    init(voters: [UInt64], regions: [UInt64: String] = [:], options: RaftOptions = RaftOptions()) {
        let configuration = MembershipConfiguration(
            voters: voters.map(NodeID.init),
            regions: Dictionary(uniqueKeysWithValues: regions.map { (NodeID($0.key), $0.value) })
        )
        for id in configuration.voters {
            cores[id] = RaftCore(id: id, configuration: configuration, options: options, randomSeed: id.rawValue)
        }
    }

    subscript(_ id: UInt64) -> RaftCore {
        guard let core = cores[NodeID(id)] else { preconditionFailure("no member n\(id)") }
        return core
    }

    /// Starts an empty member that knows only `configuration` (it learns the rest from the leader).
    mutating func spawn(_ id: UInt64, knowing configuration: MembershipConfiguration) {
        cores[NodeID(id)] = RaftCore(
            id: NodeID(id), configuration: configuration, options: self[1].options, randomSeed: id)
    }

    mutating func act<Result, Failure: Error>(_ id: UInt64, _ body: (inout RaftCore) throws(Failure) -> Result)
        throws(Failure) -> Result
    {
        defer { collect(NodeID(id)) }
        guard var core = cores[NodeID(id)] else { preconditionFailure("no member n\(id)") }
        defer { cores[NodeID(id)] = core }
        return try body(&core)
    }

    mutating func tick(_ id: UInt64, times: Int = 1) {
        for _ in 0..<times {
            act(id) { $0.tick() }
        }
    }

    /// Ticks `id` until it campaigns, then lets the election finish.
    mutating func campaign(_ id: UInt64) {
        let maxTicks = 2 * self[id].options.electionTimeoutTicks
        for _ in 0..<maxTicks where self[id].role == .follower {
            tick(id)
        }
        settle()
    }

    /// Proposes `count` commands at `leader` and lets them commit.
    mutating func commitCommands(_ count: Int, at leader: UInt64) {
        for value in 0..<count {
            _ = try? act(leader) { core throws(ProposalError) in try core.propose([UInt8(truncatingIfNeeded: value)]) }
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

    mutating func deliverRound() {
        let round = inFlight
        let transfers = snapshotTransfers
        inFlight.removeAll()
        snapshotTransfers.removeAll()
        for message in round
        where !isolated.contains(message.from) && !isolated.contains(message.to) && cores[message.to] != nil {
            if case .requestVoteResponse = message.body { voteAnswers.append(message) }
            act(message.to.rawValue) { $0.step(message) }
        }
        for (from, send) in transfers
        where !isolated.contains(from) && !isolated.contains(send.to) && cores[send.to] != nil {
            _ = try? act(send.to.rawValue) { core throws(SnapshotRestoreError) in
                try core.restore(send.metadata, from: from, term: send.term)
            }
        }
    }

    mutating func settle() {
        for _ in 0..<Self.maxSettleRounds where !(inFlight.isEmpty && snapshotTransfers.isEmpty) {
            deliverRound()
        }
        inFlight.removeAll()
        snapshotTransfers.removeAll()
    }

    private mutating func collect(_ id: NodeID) {
        while cores[id]?.hasReady == true, var core = cores[id] {
            let ready = core.ready()
            // Writes here are durable at once: report them, as the runtime does after its fsync.
            if let persisted = ready.persistedThrough { core.logDurable(through: persisted) }
            cores[id] = core
            inFlight += ready.messages
            snapshotTransfers += ready.snapshotsToSend.map { (id, $0) }
            if let snapshot = ready.snapshotToInstall {
                installed[id, default: []].append(snapshot)
            }
        }
    }
}
