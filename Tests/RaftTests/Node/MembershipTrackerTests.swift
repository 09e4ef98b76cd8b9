import Testing

@testable import RaftCore
@testable import RaftNode

@Suite("Transport peer set across membership changes")
struct MembershipTrackerTests {
    static func addresses(_ id: UInt64) -> MemberAddresses {
        MemberAddresses(peer: "127.0.0.1:\(7_200 + id)", client: "127.0.0.1:\(8_200 + id)")
    }

    static let bootstrap = MembershipConfiguration(
        voters: [NodeID(1), NodeID(2), NodeID(3)], regions: [NodeID(1): "eu", NodeID(2): "us", NodeID(3): "ap"],
        addresses: [NodeID(1): addresses(1), NodeID(2): addresses(2), NodeID(3): addresses(3)])

    @Test("a member added as a learner is a peer as soon as the change is appended, with its replicated addresses")
    func addedLearnerIsDialedAtOnce() throws {
        var tracker = MembershipTracker(id: NodeID(1), applied: Self.bootstrap)
        let first = tracker.peersIfChanged(inForce: Self.bootstrap)
        #expect(first?.members == [NodeID(2), NodeID(3)])
        let again = tracker.peersIfChanged(inForce: Self.bootstrap)
        #expect(again == nil, "an unchanged peer set is not handed over again")
        let added = try Self.bootstrap.applying(.addLearner(NodeID(4), region: "sa", addresses: Self.addresses(4)))
        let update = tracker.peersIfChanged(inForce: added)
        let peers = try #require(update)
        #expect(peers.members == [NodeID(2), NodeID(3), NodeID(4)])
        #expect(peers.addresses[NodeID(4)] == Self.addresses(4))
    }

    @Test("a removed member stays a peer until its removal is applied here, then is forgotten")
    func removedMemberIsForgottenWhenApplied() throws {
        var tracker = MembershipTracker(id: NodeID(2), applied: Self.bootstrap)
        _ = tracker.peersIfChanged(inForce: Self.bootstrap)
        let removed = try Self.bootstrap.applying(.remove(NodeID(1)))
        let appended = tracker.peersIfChanged(inForce: removed)
        #expect(appended == nil, "appended but not applied: the removed leader is still reached")
        tracker.apply([
            Entry(index: 5, term: 2, kind: .normal, payload: [1]),
            Entry(index: 6, term: 2, kind: .configChange, payload: removed.encoded),
        ])
        let update = tracker.peersIfChanged(inForce: removed)
        let peers = try #require(update)
        #expect(peers.members == [NodeID(3)])
        #expect(peers.addresses[NodeID(1)] == nil)
    }

    @Test("a change whose entry was compacted away counts as done only when the applied configuration shows it")
    func compactedChangeIsJudgedByItsEffect() {
        let withLearner = MembershipConfiguration(
            voters: Self.bootstrap.voters, learners: [NodeID(4)],
            regions: Self.bootstrap.regions.merging([NodeID(4): "sa"]) { $1 })
        #expect(RaftNode.isInEffect(.addLearner(NodeID(4), region: "sa"), in: withLearner))
        #expect(
            !RaftNode.isInEffect(.addLearner(NodeID(4), region: "sa"), in: Self.bootstrap),
            "a discarded add is not reported done")
        #expect(!RaftNode.isInEffect(.promote(NodeID(4)), in: withLearner))
        #expect(RaftNode.isInEffect(.promote(NodeID(2)), in: Self.bootstrap))
        #expect(!RaftNode.isInEffect(.remove(NodeID(3)), in: Self.bootstrap))
        #expect(RaftNode.isInEffect(.remove(NodeID(4)), in: Self.bootstrap))
    }
}
