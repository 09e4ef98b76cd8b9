import RaftCore

/// A small cluster for scenario tests. Every `Ready` is carried out at once (writes durable
/// instantly), and messages move only when the test delivers them, so each test controls the exact
/// interleaving it talks about. Members are `n1...nN`.
struct ScenarioCluster {
    private(set) var cores: [RaftCore]
    /// Messages sent and not yet delivered, in send order.
    private(set) var inFlight: [Message] = []
    /// Every message delivered so far, for assertions about what was said.
    private(set) var delivered: [Message] = []
    /// Every `ReadState` and `ReadFailure` a member's Readies handed out, by member.
    private(set) var readStates: [UInt64: [ReadState]] = [:]
    private(set) var failedReads: [UInt64: [ReadFailure]] = [:]
    /// Members cut off from everyone: messages to and from them are dropped.
    var isolated: Set<NodeID> = []
    static let maxSettleRounds = 200

    /// `stored` gives a member a durable state to start from, as after a restart.
    init(nodeCount: Int = 3, options: RaftOptions = RaftOptions(), stored: [UInt64: (HardState, [Entry])] = [:]) {
        let configuration = MembershipConfiguration(voters: (1...UInt64(nodeCount)).map(NodeID.init))
        cores = configuration.voters.map { id in
            let (hardState, entries) = stored[id.rawValue] ?? (.initial, [])
            return RaftCore(
                id: id, configuration: configuration, options: options, hardState: hardState, entries: entries,
                randomSeed: id.rawValue)
        }
    }

    subscript(_ id: UInt64) -> RaftCore {
        cores[Int(id) - 1]
    }

    /// Drains the member's Readies; their messages join `inFlight`.
    mutating func collect(_ id: UInt64) {
        while cores[Int(id) - 1].hasReady {
            let ready = cores[Int(id) - 1].ready()
            // Writes here are durable at once: report them, as the runtime does after its fsync.
            if let persisted = ready.persistedThrough { cores[Int(id) - 1].logDurable(through: persisted) }
            inFlight += ready.messages
            readStates[id, default: []] += ready.readStates
            failedReads[id, default: []] += ready.failedReads
        }
    }

    /// Gives a test direct access to one member's inputs (reads, transfers, connection loss), then
    /// collects what it produced.
    mutating func act<Result, Failure: Error>(_ id: UInt64, _ body: (inout RaftCore) throws(Failure) -> Result)
        throws(Failure) -> Result
    {
        defer { collect(id) }
        return try body(&cores[Int(id) - 1])
    }

    mutating func tick(_ id: UInt64, times: Int = 1) {
        for _ in 0..<times {
            cores[Int(id) - 1].tick()
            collect(id)
        }
    }

    /// Delivers every message now in flight (dropping those to or from isolated members); replies
    /// wait for the next round. Returns how many were delivered.
    @discardableResult
    mutating func deliverRound() -> Int {
        let round = inFlight
        inFlight.removeAll()
        var count = 0
        for message in round where !isolated.contains(message.from) && !isolated.contains(message.to) {
            delivered.append(message)
            cores[Int(message.to.rawValue) - 1].step(message)
            collect(message.to.rawValue)
            count += 1
        }
        return count
    }

    /// Delivers rounds until nothing is in flight.
    mutating func settle() {
        for _ in 0..<Self.maxSettleRounds where !inFlight.isEmpty {
            deliverRound()
        }
        precondition(
            inFlight.isEmpty || inFlight.allSatisfy { isolated.contains($0.from) || isolated.contains($0.to) },
            "the cluster did not settle")
        inFlight.removeAll()
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
        let outcome = try cores[Int(id) - 1].propose(payload)
        collect(id)
        return outcome
    }

    /// Steps one message into a member directly and returns what it answers.
    mutating func answer(_ id: UInt64, to message: Message) -> [Message] {
        cores[Int(id) - 1].step(message)
        var replies: [Message] = []
        while cores[Int(id) - 1].hasReady {
            let ready = cores[Int(id) - 1].ready()
            if let persisted = ready.persistedThrough { cores[Int(id) - 1].logDurable(through: persisted) }
            replies += ready.messages
        }
        return replies
    }
}
