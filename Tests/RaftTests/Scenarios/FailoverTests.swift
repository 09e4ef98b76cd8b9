import RaftCore
import Testing

/// Fast failover (design §3): the transport's report of a lost leader connection replaces the wait
/// for the election timeout; leader stickiness still protects a leader that others hear.
@Suite("Raft fast failover")
struct FailoverTests {
    @Test("a follower that loses its leader's connection campaigns at once")
    func campaignsAtOnce() {
        var cluster = ReadIndexTests.clusterWithLeader()
        cluster.act(2) { $0.peerUnreachable(NodeID(1)) }
        #expect(cluster[2].role == .preCandidate)
    }

    @Test("followers that both lost the leader's connection elect a new leader without any tick")
    func newLeaderWithoutTicks() {
        var cluster = ReadIndexTests.clusterWithLeader()
        let term = cluster[1].term
        cluster.isolated = [NodeID(1)]
        cluster.act(3) { $0.peerUnreachable(NodeID(1)) }
        cluster.act(2) { $0.peerUnreachable(NodeID(1)) }
        cluster.settle()
        #expect(cluster[2].role == .leader && cluster[2].term == term + 1)
        #expect(cluster[3].role == .follower, "the second-ranked follower waits its turn and votes instead")
    }

    @Test("a voter still hearing its leader refuses a pre-vote")
    func stickyVoterRefuses() {
        var cluster = ReadIndexTests.clusterWithLeader()
        let term = cluster[1].term
        cluster.act(2) { $0.peerUnreachable(NodeID(1)) }
        cluster.settle()
        #expect(cluster[2].role == .preCandidate && cluster[2].term == term, "no grant: its pre-vote is still open")
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[1].role == .leader && cluster[1].term == term)
        #expect(cluster[2].role == .follower && cluster[2].leader == NodeID(1))
    }

    @Test("the k-th follower by id campaigns after k × failoverStaggerTicks, unless the leader speaks")
    func staggeredByRank() {
        var options = RaftOptions()
        options.failoverStaggerTicks = 3
        var cluster = ReadIndexTests.clusterWithLeader(nodeCount: 5, options: options)
        cluster.act(4) { $0.peerUnreachable(NodeID(1)) }
        cluster.tick(4, times: 2 * 3 - 1)
        #expect(cluster[4].role == .follower)
        cluster.tick(4)
        #expect(cluster[4].role == .preCandidate)
        cluster.act(3) { $0.peerUnreachable(NodeID(1)) }
        cluster.tick(1)
        cluster.settle()
        cluster.tick(3, times: 3)
        #expect(cluster[3].role == .follower, "n1's heartbeat cancelled n3's countdown")
    }

    @Test("losing the connection of a peer that is not the leader changes nothing")
    func otherPeerIgnored() {
        var cluster = ReadIndexTests.clusterWithLeader()
        cluster.act(2) { $0.peerUnreachable(NodeID(3)) }
        #expect(cluster[2].role == .follower && cluster[2].leader == NodeID(1))
        #expect(!cluster[2].hasReady)
    }
}
