import RaftCore
import Testing

/// Membership changes one server at a time (Raft thesis §4), learners, and the placement check.
@Suite("Raft membership")
struct MembershipTests {
    static let regions: [UInt64: String] = [1: "eu", 2: "us", 3: "ap", 4: "sa", 5: "eu"]

    /// n1 leads voters n1–n3 (one per region) and has committed an entry of its term.
    static func threeRegionCluster(options: RaftOptions = RaftOptions()) -> ScenarioCluster {
        var cluster = ScenarioCluster(voters: [1, 2, 3], regions: regions, options: options)
        cluster.campaign(1)
        return cluster
    }

    /// Adds n4 as a learner in `region`, spawned empty, and lets it catch up.
    static func addLearner4(to cluster: inout ScenarioCluster, region: String = "sa") throws {
        let bootstrap = cluster[1].configuration
        _ = try cluster.act(1) { core throws(MembershipChangeError) in
            try core.proposeMembershipChange(.addLearner(NodeID(4), region: region))
        }
        cluster.spawn(4, knowing: bootstrap)
        cluster.settle()
    }

    static func propose(
        _ change: MembershipChange, force: Bool = false, at leader: UInt64 = 1, in cluster: inout ScenarioCluster
    ) throws(MembershipChangeError) {
        _ = try cluster.act(leader) { core throws(MembershipChangeError) in
            try core.proposeMembershipChange(change, force: force)
        }
    }

    @Test("a configuration round-trips through its binary encoding; malformed payloads decode to nil")
    func configurationEncoding() {
        let configuration = MembershipConfiguration(
            voters: [NodeID(1), NodeID(2)], learners: [NodeID(7)], regions: [NodeID(1): "eu", NodeID(7): "ап-юг"])
        #expect(MembershipConfiguration(decoding: configuration.encoded) == configuration)
        let encoded = configuration.encoded
        let malformedPayloads: [[UInt8]] = [
            [], Array(encoded.dropLast()), encoded + [0], [3] + encoded.dropFirst(),
            [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ]
        for malformed in malformedPayloads {
            #expect(MembershipConfiguration(decoding: malformed) == nil)
        }
    }

    @Test(
        "members' addresses travel with the configuration through changes and its encoding; a version-1 payload (no addresses) still decodes"
    )
    func addressesInConfiguration() throws {
        let one = MemberAddresses(peer: "127.0.0.1:7201", client: "127.0.0.1:8201")
        let four = MemberAddresses(peer: "[::1]:7204", client: "node4.example:8204")
        let configuration = MembershipConfiguration(
            voters: [NodeID(1), NodeID(2)], regions: [NodeID(1): "eu", NodeID(2): "us"], addresses: [NodeID(1): one])
        let added = try configuration.applying(.addLearner(NodeID(4), region: "sa", addresses: four))
        #expect(added.addresses == [NodeID(1): one, NodeID(4): four])
        #expect(MembershipConfiguration(decoding: added.encoded) == added)
        let promoted = try added.applying(.promote(NodeID(4)))
        #expect(promoted.addresses == added.addresses)
        let removed = try promoted.applying(.remove(NodeID(1)))
        #expect(removed.addresses == [NodeID(4): four], "a removed member's addresses are dropped")
        let withoutAddresses = MembershipConfiguration(voters: [NodeID(1), NodeID(2)], regions: [NodeID(1): "eu"])
        let version1 = [UInt8(1)] + withoutAddresses.encoded.dropFirst().dropLast(4)
        #expect(MembershipConfiguration(decoding: Array(version1)) == withoutAddresses)
    }

    @Test("a configuration takes effect on the leader when appended, before it commits")
    func configurationTakesEffectWhenAppended() throws {
        var cluster = Self.threeRegionCluster()
        cluster.isolated = [NodeID(2), NodeID(3)]
        try Self.propose(.addLearner(NodeID(4), region: "sa"), in: &cluster)
        #expect(cluster[1].configuration.learners == [NodeID(4)])
        #expect(cluster[1].isMembershipChangePending)
        #expect(cluster[1].replicationStatus(of: NodeID(4)) != nil)
    }

    @Test("a second membership change is refused while one is pending")
    func secondChangeRefusedWhilePending() throws {
        var cluster = Self.threeRegionCluster()
        cluster.isolated = [NodeID(2), NodeID(3)]
        try Self.propose(.addLearner(NodeID(4), region: "sa"), in: &cluster)
        let pendingIndex = cluster[1].lastPosition.index
        #expect(throws: MembershipChangeError.changePending(index: pendingIndex)) {
            try Self.propose(.addLearner(NodeID(5), region: "eu"), in: &cluster)
        }
        cluster.isolated = []
        cluster.tick(1)
        cluster.settle()
        #expect(!cluster[1].isMembershipChangePending)
        try Self.propose(.addLearner(NodeID(5), region: "eu"), in: &cluster)
    }

    @Test("a new leader proposes no membership change before it commits an entry of its own term")
    func newLeaderMustCommitOwnTermFirst() throws {
        var cluster = ScenarioCluster(voters: [1, 2, 3], regions: Self.regions)
        for _ in 0..<(2 * cluster[1].options.electionTimeoutTicks) where cluster[1].role == .follower {
            cluster.tick(1)
        }
        for _ in 0..<ScenarioCluster.maxSettleRounds where cluster[1].role != .leader {
            cluster.deliverRound()
        }
        let term = cluster[1].term
        #expect(throws: MembershipChangeError.noEntryCommittedInTerm(term: term)) {
            try Self.propose(.addLearner(NodeID(4), region: "sa"), in: &cluster)
        }
        cluster.settle()
        try Self.propose(.addLearner(NodeID(4), region: "sa"), in: &cluster)
    }

    @Test("a learner is never asked to vote, its vote never counts, it never counts toward commit and never campaigns")
    func learnerNeverVotesOrCounts() throws {
        var cluster = Self.threeRegionCluster()
        try Self.addLearner4(to: &cluster)
        #expect(cluster[4].configuration.isLearner(NodeID(4)))
        #expect(cluster[4].lastPosition == cluster[1].lastPosition)
        // Commit needs a majority of voters; the leader and the learner are not one.
        cluster.isolated = [NodeID(2), NodeID(3)]
        let commitBefore = cluster[1].commitIndex
        cluster.commitCommands(1, at: 1)
        #expect(cluster[4].lastPosition == cluster[1].lastPosition)
        #expect(cluster[1].commitIndex == commitBefore)
        // Candidates ask only voters; a learner's granted vote does not make a majority.
        cluster.isolated = [NodeID(1), NodeID(3)]
        cluster.tick(4, times: 4 * cluster[4].options.electionTimeoutTicks)
        #expect(cluster[4].role == .follower)
        for _ in 0..<(4 * cluster[2].options.electionTimeoutTicks) where cluster[2].role == .follower {
            cluster.tick(2)
        }
        #expect(cluster[2].role == .preCandidate)
        let preVoteTerm = cluster[2].term + 1
        cluster.act(2) {
            $0.step(
                Message(
                    from: NodeID(4), to: NodeID(2), term: preVoteTerm,
                    body: .requestVoteResponse(VoteResponse(kind: .preVote, granted: true))))
        }
        #expect(cluster[2].role == .preCandidate, "n2 and the learner are not a majority of n1–n3")
        cluster.settle()
        #expect(cluster.voteAnswers.allSatisfy { $0.from != NodeID(4) }, "nobody asked the learner")
    }

    @Test("a lagging learner is not promoted; once caught up it is")
    func laggingLearnerNotPromoted() throws {
        var options = RaftOptions()
        options.maxPromotionLagEntries = 2
        var cluster = Self.threeRegionCluster(options: options)
        try Self.addLearner4(to: &cluster)
        cluster.isolated = [NodeID(4)]
        cluster.commitCommands(5, at: 1)
        #expect {
            try Self.propose(.promote(NodeID(4)), in: &cluster)
        } throws: { error in
            guard case .learnerLagging(NodeID(4), _, _, 2)? = error as? MembershipChangeError else { return false }
            return true
        }
        cluster.isolated = []
        cluster.tick(1)
        cluster.settle()
        try Self.propose(.promote(NodeID(4)), in: &cluster)
        cluster.settle()
        #expect(cluster[1].configuration.voters == [1, 2, 3, 4].map(NodeID.init))
        #expect(cluster[4].configuration.isVoter(NodeID(4)))
    }

    @Test("a placement-breaking change is refused unless forced")
    func placementBreakingChangeRefusedUnlessForced() throws {
        var cluster = Self.threeRegionCluster()
        try Self.addLearner4(to: &cluster, region: "eu")
        #expect {
            try Self.propose(.promote(NodeID(4)), in: &cluster)
        } throws: { error in
            guard case .placementBreaking(let reason)? = error as? MembershipChangeError else { return false }
            return reason.contains("losing region eu would lose the quorum")
        }
        #expect(cluster[1].configuration.learners == [NodeID(4)], "nothing was appended")
        try Self.propose(.promote(NodeID(4)), force: true, in: &cluster)
        #expect(cluster[1].configuration.voters.contains(NodeID(4)))
    }

    @Test("a removed leader keeps leading until the change commits, then steps down and never campaigns")
    func removedLeaderStepsDownAfterCommit() throws {
        var cluster = ScenarioCluster(voters: [1, 2, 3, 4], regions: [1: "eu", 2: "eu", 3: "us", 4: "ap"])
        cluster.campaign(1)
        cluster.isolated = [NodeID(2), NodeID(3), NodeID(4)]
        try Self.propose(.remove(NodeID(1)), in: &cluster)
        #expect(!cluster[1].configuration.isVoter(NodeID(1)))
        cluster.tick(1, times: 3)
        #expect(cluster[1].role == .leader, "still leading while the removal is uncommitted")
        cluster.isolated = []
        cluster.tick(1)
        cluster.settle()
        #expect(!cluster[1].isMembershipChangePending)
        cluster.tick(1)
        #expect(cluster[1].role == .follower)
        cluster.tick(1, times: 4 * cluster[1].options.electionTimeoutTicks)
        #expect(cluster[1].role == .follower, "a removed member never campaigns")
        let remaining: [UInt64] = [2, 3, 4]
        for _ in 0..<ScenarioCluster.maxSettleRounds where !remaining.contains(where: { cluster[$0].role == .leader }) {
            for id in remaining { cluster.tick(id) }
            cluster.settle()
        }
        let newLeader = try #require(remaining.first { cluster[$0].role == .leader })
        #expect(cluster[newLeader].configuration.voters == remaining.map(NodeID.init))
        #expect(cluster[1].role == .follower)
    }

    @Test("replacing a member: add a learner, promote it, remove the old one")
    func replaceMember() throws {
        var cluster = ScenarioCluster(voters: [1, 2, 3, 4, 5], regions: Self.regions)
        cluster.campaign(1)
        let bootstrap = cluster[1].configuration
        try Self.propose(.addLearner(NodeID(6), region: "ap"), in: &cluster)
        cluster.spawn(6, knowing: bootstrap)
        cluster.settle()
        try Self.propose(.promote(NodeID(6)), in: &cluster)
        cluster.settle()
        try Self.propose(.remove(NodeID(3)), in: &cluster)
        cluster.settle()
        #expect(cluster[1].configuration.voters == [1, 2, 4, 5, 6].map(NodeID.init))
        #expect(cluster[6].configuration == cluster[1].configuration)
        #expect(cluster[1].configuration.placement.survivesAnyRegionLoss)
    }
}
