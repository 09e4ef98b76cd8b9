import RaftCore
import Testing

/// Raft §5.2 and §5.4.1, PreVote and leader stickiness (thesis §9.6), CheckQuorum.
@Suite("Raft elections")
struct ElectionTests {
    @Test("a follower that hears no leader campaigns within [electionTimeout, 2 × electionTimeout) ticks")
    func electionTimeoutIsRandomizedWithinBounds() {
        let options = RaftOptions()
        var observedTimeouts: Set<Int> = []
        for seed in 1...200 as ClosedRange<UInt64> {
            var core = RaftCore(
                id: NodeID(1), configuration: MembershipConfiguration(voters: [NodeID(1), NodeID(2), NodeID(3)]),
                randomSeed: seed)
            var ticks = 0
            while core.role == .follower && ticks < 3 * options.electionTimeoutTicks {
                core.tick()
                ticks += 1
            }
            #expect(core.role == .preCandidate)
            #expect(ticks >= options.electionTimeoutTicks && ticks < 2 * options.electionTimeoutTicks)
            observedTimeouts.insert(ticks)
        }
        #expect(observedTimeouts.count > options.electionTimeoutTicks / 2, "timeouts should spread over the range")
    }

    @Test("a member that wins the election appends an empty entry of its term")
    func newLeaderAppendsEmptyEntry() {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        #expect(cluster[1].role == .leader)
        #expect(cluster[1].term == 1)
        #expect(cluster[1].entries.last == Entry(index: 1, term: 1, kind: .empty))
        #expect(cluster[2].leader == NodeID(1) && cluster[3].leader == NodeID(1))
        #expect(cluster[1].commitIndex == 1)
    }

    @Test("a candidate with a stale log loses the election")
    func staleCandidateLoses() {
        let upToDate = Entry.run(1...3, term: 1)
        var cluster = ScenarioCluster(stored: [
            1: (HardState(term: 1), Array(upToDate.prefix(1))),
            2: (HardState(term: 1), upToDate),
            3: (HardState(term: 1), upToDate),
        ])
        cluster.campaign(1)
        #expect(cluster[1].role != .leader)
        let refusals = cluster.delivered.filter { message in
            if case .requestVoteResponse(let response) = message.body { return !response.granted }
            return false
        }
        #expect(refusals.count == 2)
        #expect(cluster[2].vote == nil && cluster[3].vote == nil)
    }

    @Test("a member grants at most one vote per term")
    func oneVotePerTerm() {
        var cluster = ScenarioCluster()
        let request = VoteRequest(kind: .vote, lastLog: .origin)
        let first = cluster.answer(1, to: Message(from: NodeID(2), to: NodeID(1), term: 1, body: .requestVote(request)))
        let second = cluster.answer(
            1, to: Message(from: NodeID(3), to: NodeID(1), term: 1, body: .requestVote(request)))
        #expect(first.map(\.body) == [.requestVoteResponse(VoteResponse(kind: .vote, granted: true))])
        #expect(second.map(\.body) == [.requestVoteResponse(VoteResponse(kind: .vote, granted: false))])
        #expect(cluster[1].vote == NodeID(2))
    }

    @Test("a member restarted from its stored hard state keeps the vote it gave in that term")
    func restartedMemberKeepsItsVote() {
        var cluster = ScenarioCluster(stored: [1: (HardState(term: 5, vote: NodeID(2)), [])])
        let request = VoteRequest(kind: .vote, lastLog: .origin)
        let replies = cluster.answer(
            1, to: Message(from: NodeID(3), to: NodeID(1), term: 5, body: .requestVote(request)))
        #expect(replies.map(\.body) == [.requestVoteResponse(VoteResponse(kind: .vote, granted: false))])
        #expect(cluster[1].vote == NodeID(2))
    }

    @Test("a pre-candidate that hears from a leader of its term becomes its follower")
    func candidateYieldsToLeaderOfItsTerm() {
        var cluster = ScenarioCluster()
        cluster.isolated = [NodeID(2), NodeID(3)]
        cluster.campaign(1)
        #expect(cluster[1].role == .preCandidate)
        let term = cluster[1].term
        let heartbeat = Message(from: NodeID(2), to: NodeID(1), term: term, body: .heartbeat(Heartbeat(commit: 0)))
        _ = cluster.answer(1, to: heartbeat)
        #expect(cluster[1].role == .follower && cluster[1].leader == NodeID(2))
    }

    @Test("a vote is handed out for persisting in the same Ready as the reply that grants it")
    func voteIsPersistedWithItsReply() {
        var core = RaftCore(
            id: NodeID(1), configuration: MembershipConfiguration(voters: [NodeID(1), NodeID(2), NodeID(3)]),
            randomSeed: 1)
        core.step(
            Message(
                from: NodeID(2), to: NodeID(1), term: 5, body: .requestVote(VoteRequest(kind: .vote, lastLog: .origin)))
        )
        let ready = core.ready()
        #expect(ready.hardState == HardState(term: 5, vote: NodeID(2), commit: 0))
        #expect(ready.messages.map(\.body) == [.requestVoteResponse(VoteResponse(kind: .vote, granted: true))])
        #expect(!core.hasReady)
    }

    @Test("a partitioned node rejoining with a higher term does not disrupt a healthy leader (PreVote)")
    func preVoteKeepsPartitionedNodeFromDisrupting() {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        let leaderTerm = cluster[1].term
        cluster.isolated = [NodeID(3)]
        for _ in 0..<10 {
            cluster.tick(3, times: 2 * cluster[3].options.electionTimeoutTicks)
            cluster.settle()
        }
        #expect(cluster[3].term == leaderTerm, "pre-votes that cannot win do not raise the term")
        cluster.isolated = []
        cluster.tick(3, times: 2 * cluster[3].options.electionTimeoutTicks)
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[1].role == .leader && cluster[1].term == leaderTerm)
        #expect(cluster[3].leader == NodeID(1))
    }

    @Test("a follower that heard from its leader within the election timeout ignores (pre-)vote requests")
    func leaderStickiness() {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        let term = cluster[1].term
        for kind in [ElectionKind.preVote, .vote] {
            let request = Message(
                from: NodeID(3), to: NodeID(2), term: term + 1,
                body: .requestVote(VoteRequest(kind: kind, lastLog: cluster[1].lastPosition)))
            #expect(cluster.answer(2, to: request).isEmpty)
        }
        #expect(cluster[2].term == term && cluster[2].leader == NodeID(1))
    }

    @Test("a leader that loses quorum steps down (CheckQuorum)")
    func checkQuorumStepsDown() {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        cluster.isolated = [NodeID(1)]
        let electionTimeoutTicks = cluster[1].options.electionTimeoutTicks
        cluster.tick(1, times: electionTimeoutTicks)
        #expect(cluster[1].role == .leader, "one timeout after the last round it may still have heard from a quorum")
        cluster.tick(1, times: electionTimeoutTicks)
        #expect(cluster[1].role == .follower)
        #expect(cluster[1].leader == nil)
    }

    @Test("a leader that hears from a quorum keeps leading through CheckQuorum rounds")
    func checkQuorumKeepsHealthyLeader() {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        cluster.isolated = [NodeID(3)]
        for _ in 0..<(5 * cluster[1].options.electionTimeoutTicks) {
            cluster.tick(1)
            cluster.settle()
        }
        #expect(cluster[1].role == .leader)
    }

    @Test("a higher term in any message makes a leader step down")
    func higherTermDeposesLeader() {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        let term = cluster[1].term
        _ = cluster.answer(
            1,
            to: Message(
                from: NodeID(2), to: NodeID(1), term: term + 3,
                body: .heartbeatResponse(HeartbeatResponse(readRound: 0))))
        #expect(cluster[1].role == .follower && cluster[1].term == term + 3)
    }
}
