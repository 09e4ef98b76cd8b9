import RaftCore
import Testing

/// ReadIndex (Raft thesis §6.4): reads confirmed by a heartbeat round, on the leader and through it.
@Suite("Raft ReadIndex reads")
struct ReadIndexTests {
    /// A three-member cluster whose n1 leads and has committed an entry of its term.
    static func clusterWithLeader(nodeCount: Int = 3, options: RaftOptions = RaftOptions()) -> ScenarioCluster {
        var cluster = ScenarioCluster(nodeCount: nodeCount, options: options)
        cluster.campaign(1)
        precondition(cluster[1].role == .leader, "n1 did not win")
        return cluster
    }

    static func isHeartbeat(_ message: Message, round: UInt64) -> Bool {
        if case .heartbeat(let heartbeat) = message.body { return heartbeat.readRound == round }
        return false
    }

    @Test("a read is released only after a quorum confirms leadership")
    func releasedAfterQuorumConfirms() throws {
        var cluster = Self.clusterWithLeader()
        cluster.isolated = [NodeID(3)]
        try cluster.act(1) { try $0.readIndex(context: 7) }
        #expect(cluster.inFlight.contains { Self.isHeartbeat($0, round: 1) })
        cluster.deliverRound()
        #expect(cluster.readStates[1, default: []].isEmpty, "heartbeats delivered, answers not yet")
        cluster.deliverRound()
        #expect(cluster.readStates[1] == [ReadState(context: 7, index: cluster[1].commitIndex)])
    }

    @Test(
        "reads arriving while a round is in flight start no round of their own; they share the next, started once the first is confirmed"
    )
    func readsShareTheNextRound() throws {
        var cluster = Self.clusterWithLeader()
        try cluster.act(1) { try $0.readIndex(context: 1) }
        #expect(cluster.inFlight.filter { Self.isHeartbeat($0, round: 1) }.count == 2, "round 1 goes to both followers")
        // Three more reads while round 1 is out: no new heartbeats, however many Readies pass.
        for context: UInt64 in 2...4 { try cluster.act(1) { try $0.readIndex(context: ReadContext(context)) } }
        #expect(
            !cluster.inFlight.contains { Self.isHeartbeat($0, round: 2) },
            "a second round started while the first was in flight")
        cluster.deliverRound()  // heartbeats of round 1 reach the followers
        cluster.deliverRound()  // their answers confirm round 1; round 2 starts for the three waiting reads
        #expect(cluster.readStates[1, default: []].map(\.context) == [1])
        #expect(cluster.inFlight.filter { Self.isHeartbeat($0, round: 2) }.count == 2, "one round for the batch")
        cluster.deliverRound()
        cluster.deliverRound()
        #expect(cluster.readStates[1, default: []].map(\.context) == [1, 2, 3, 4])
    }

    @Test("a round whose heartbeats are lost is confirmed by the next heartbeat, which carries it")
    func lostRoundIsCarriedByHeartbeat() throws {
        var cluster = Self.clusterWithLeader()
        cluster.isolated = [NodeID(2), NodeID(3)]
        try cluster.act(1) { try $0.readIndex(context: 5) }
        cluster.deliverRound()  // lost
        try cluster.act(1) { try $0.readIndex(context: 6) }
        cluster.isolated = []
        cluster.tick(1, times: RaftOptions().heartbeatIntervalTicks)
        #expect(cluster.inFlight.contains { Self.isHeartbeat($0, round: 1) || Self.isHeartbeat($0, round: 2) })
        cluster.settle()
        #expect(
            cluster.readStates[1, default: []].map(\.context) == [5, 6],
            "the waiting reads were stranded behind a lost round")
    }

    @Test("a late answer to a heartbeat sent before the read does not confirm it")
    func lateAnswerDoesNotConfirm() throws {
        var cluster = Self.clusterWithLeader()
        let term = cluster[1].term
        cluster.isolated = [NodeID(2), NodeID(3)]
        try cluster.act(1) { try $0.readIndex(context: 7) }
        let stale = Message(
            from: NodeID(2), to: NodeID(1), term: term, body: .heartbeatResponse(HeartbeatResponse(readRound: 0)))
        cluster.act(1) { $0.step(stale) }
        #expect(cluster.readStates[1, default: []].isEmpty)
        let current = Message(
            from: NodeID(2), to: NodeID(1), term: term, body: .heartbeatResponse(HeartbeatResponse(readRound: 1)))
        cluster.act(1) { $0.step(current) }
        #expect(cluster.readStates[1, default: []].map(\.context) == [7])
    }

    @Test("a follower read returns the leader's commit index")
    func followerReadReturnsLeaderCommit() throws {
        var cluster = Self.clusterWithLeader()
        for byte: UInt8 in 1...3 {
            _ = try cluster.propose(1, [byte])
        }
        cluster.settle()
        try cluster.act(2) { try $0.readIndex(context: 9) }
        cluster.settle()
        #expect(cluster[1].commitIndex == 4)
        #expect(cluster.readStates[2] == [ReadState(context: 9, index: 4)])
        #expect(cluster.readStates[1, default: []].isEmpty, "the leader answers its follower, not its own runtime")
    }

    @Test("a leader without a committed entry of its term does not serve reads")
    func noReadsBeforeCommitInTerm() throws {
        var cluster = ScenarioCluster()
        cluster.tick(1, times: 2 * cluster[1].options.electionTimeoutTicks)
        while cluster[1].role != .leader {
            cluster.deliverRound()
        }
        // The new leader's empty entry is on its way; nothing of this term is committed yet.
        cluster.isolated = [NodeID(2), NodeID(3)]
        #expect(cluster[1].term(at: cluster[1].commitIndex) != cluster[1].term)
        try cluster.act(1) { try $0.readIndex(context: 5) }
        #expect(!cluster.inFlight.contains { Self.isHeartbeat($0, round: 1) }, "no confirmation round yet")
        cluster.isolated = []
        cluster.tick(1)
        cluster.settle()
        let index = try #require(cluster.readStates[1]?.first).index
        #expect(cluster[1].term(at: index) == cluster[1].term)
    }

    @Test("a single-voter leader answers a read without any message")
    func singleVoterAnswersAtOnce() throws {
        var cluster = Self.clusterWithLeader(nodeCount: 1)
        try cluster.act(1) { try $0.readIndex(context: 3) }
        #expect(cluster.readStates[1] == [ReadState(context: 3, index: 1)])
        #expect(cluster.inFlight.isEmpty)
    }

    @Test("reads pending when the leader steps down fail as leadership changed")
    func pendingReadsFailOnStepDown() throws {
        var cluster = Self.clusterWithLeader()
        cluster.isolated = [NodeID(2), NodeID(3)]
        try cluster.act(1) { try $0.readIndex(context: 4) }
        cluster.tick(1, times: 2 * cluster[1].options.electionTimeoutTicks)
        #expect(cluster[1].role == .follower, "CheckQuorum")
        #expect(cluster.failedReads[1] == [ReadFailure(context: 4, reason: .leadershipChanged)])
        #expect(cluster.readStates[1, default: []].isEmpty)
    }

    @Test("a forwarded read the leader never answers fails after an election timeout")
    func forwardedReadTimesOut() throws {
        var cluster = Self.clusterWithLeader()
        cluster.isolated = [NodeID(1)]
        try cluster.act(2) { try $0.readIndex(context: 8) }
        cluster.tick(2, times: cluster[2].options.electionTimeoutTicks)
        #expect(cluster.failedReads[2] == [ReadFailure(context: 8, reason: .timedOut)])
    }

    @Test("reads beyond maxPendingReads are refused at once, and without a leader too")
    func pendingReadsAreBounded() throws {
        var options = RaftOptions()
        options.maxPendingReads = 2
        var cluster = Self.clusterWithLeader(options: options)
        cluster.isolated = [NodeID(2), NodeID(3)]
        try cluster.act(1) { try $0.readIndex(context: 1) }
        try cluster.act(1) { try $0.readIndex(context: 2) }
        #expect(throws: ReadIndexError.tooManyPendingReads(limit: 2)) {
            try cluster.act(1) { try $0.readIndex(context: 3) }
        }
        var leaderless = ScenarioCluster()
        #expect(throws: ReadIndexError.noLeader) {
            try leaderless.act(2) { try $0.readIndex(context: 1) }
        }
    }
}
