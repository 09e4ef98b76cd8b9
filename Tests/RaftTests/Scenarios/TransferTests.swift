import RaftCore
import Testing

/// Leadership transfer (Raft thesis §3.10, TimeoutNow).
@Suite("Raft leadership transfer")
struct TransferTests {
    static func isTimeoutNow(_ message: Message, to target: UInt64) -> Bool {
        message.body == .timeoutNow && message.to == NodeID(target)
    }

    @Test("a caught-up target gets TimeoutNow at once and wins despite leader stickiness")
    func caughtUpTargetTakesOver() throws {
        var cluster = ReadIndexTests.clusterWithLeader()
        let term = cluster[1].term
        try cluster.act(1) { try $0.transferLeadership(to: NodeID(2)) }
        #expect(cluster[1].leadershipTransferTarget == NodeID(2))
        #expect(cluster.inFlight.contains { Self.isTimeoutNow($0, to: 2) })
        cluster.settle()
        #expect(cluster[2].role == .leader && cluster[2].term == term + 1)
        #expect(cluster[1].role == .follower && cluster[1].leadershipTransferTarget == nil)
        #expect(cluster[3].vote == NodeID(2), "n3 still heard n1, yet voted: the request carried the transfer flag")
    }

    @Test("proposals are refused during a transfer")
    func proposalsRefusedDuringTransfer() throws {
        var cluster = ReadIndexTests.clusterWithLeader()
        cluster.isolated = [NodeID(2)]
        try cluster.act(1) { try $0.transferLeadership(to: NodeID(2)) }
        #expect(throws: ProposalError.transferInProgress(to: NodeID(2))) {
            _ = try cluster.propose(1, [1])
        }
    }

    @Test("a transfer to a lagging follower waits until it catches up")
    func laggingTargetCatchesUpFirst() throws {
        var cluster = ReadIndexTests.clusterWithLeader()
        cluster.isolated = [NodeID(3)]
        for byte: UInt8 in 1...5 {
            _ = try cluster.propose(1, [byte])
        }
        cluster.settle()
        #expect(cluster[3].lastPosition.index < cluster[1].lastPosition.index)
        try cluster.act(1) { try $0.transferLeadership(to: NodeID(3)) }
        #expect(!cluster.inFlight.contains { Self.isTimeoutNow($0, to: 3) }, "not before n3 holds the leader's log")
        cluster.isolated = []
        cluster.settle()
        let timeoutNow = try #require(cluster.delivered.firstIndex { Self.isTimeoutNow($0, to: 3) })
        let lastAck = try #require(
            cluster.delivered[..<timeoutNow].lastIndex { $0.from == NodeID(3) && $0.to == NodeID(1) })
        #expect(cluster.delivered[lastAck].body == .appendEntriesResponse(.accepted(matchIndex: 6)))
        #expect(cluster[3].role == .leader)
    }

    @Test("a transfer is abandoned after an election timeout")
    func transferAbandonedAfterTimeout() throws {
        var cluster = ReadIndexTests.clusterWithLeader()
        cluster.isolated = [NodeID(2)]
        try cluster.act(1) { try $0.transferLeadership(to: NodeID(2)) }
        for _ in 1..<cluster[1].options.electionTimeoutTicks {
            cluster.tick(1)
            cluster.settle()
        }
        #expect(cluster[1].leadershipTransferTarget == NodeID(2), "still pending one tick before the timeout")
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[1].role == .leader && cluster[1].leadershipTransferTarget == nil)
        #expect(throws: Never.self) { _ = try cluster.propose(1, [1]) }
    }

    @Test("only a leader transfers, and only to another voter")
    func transferPreconditions() {
        var cluster = ReadIndexTests.clusterWithLeader()
        #expect(throws: TransferError.notLeader) { try cluster.act(2) { try $0.transferLeadership(to: NodeID(3)) } }
        #expect(throws: TransferError.targetIsSelf) { try cluster.act(1) { try $0.transferLeadership(to: NodeID(1)) } }
        #expect(throws: TransferError.notAVoter(NodeID(9))) {
            try cluster.act(1) { try $0.transferLeadership(to: NodeID(9)) }
        }
    }
}
