import Testing

@testable import RaftCore
@testable import RaftNode

/// The moments an operator must hear about, from role changes and the clock alone.
@Suite("Leadership watch")
struct LeadershipWatchTests {
    static let start = ContinuousClock.now
    static let timeout: Duration = .seconds(2)

    static func watch(_ id: UInt64 = 1) -> LeadershipWatch {
        LeadershipWatch(
            id: NodeID(id), initial: RoleState(role: .follower, leader: nil, term: 1), leaderlessWarningAfter: timeout,
            now: start)
    }

    static func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test("an election won: election started, then this member counted as the new leader")
    func electionWon() {
        var watch = Self.watch()
        #expect(watch.observe(RoleState(role: .preCandidate, leader: nil, term: 1), at: Self.at(10)) == [])
        #expect(
            watch.observe(RoleState(role: .candidate, leader: nil, term: 2), at: Self.at(20)) == [
                .electionStarted(term: 2)
            ])
        #expect(
            watch.observe(RoleState(role: .leader, leader: NodeID(1), term: 2), at: Self.at(30))
                == [.leaderElected(leader: NodeID(1), previous: nil, term: 2, isSelf: true)])
        #expect(watch.check(at: Self.at(10_000)) == nil, "a member that has a leader is not leaderless")
    }

    @Test("a member that wins before it is seen as a candidate still counts its election, once")
    func electionWonAtOnce() {
        var watch = Self.watch()
        #expect(
            watch.observe(RoleState(role: .leader, leader: NodeID(1), term: 2), at: Self.at(10))
                == [.electionStarted(term: 2), .leaderElected(leader: NodeID(1), previous: nil, term: 2, isSelf: true)])
        var seen = Self.watch()
        _ = seen.observe(RoleState(role: .candidate, leader: nil, term: 3), at: Self.at(10))
        #expect(
            seen.observe(RoleState(role: .leader, leader: NodeID(1), term: 3), at: Self.at(20)).count == 1,
            "counted when it was a candidate")
    }

    @Test("a follower whose leader dies warns that it lost it, and counts the next leader as a change")
    func leaderLostThenReplaced() {
        var watch = Self.watch(2)
        _ = watch.observe(RoleState(role: .follower, leader: NodeID(1), term: 2), at: Self.at(0))
        #expect(
            watch.observe(RoleState(role: .preCandidate, leader: nil, term: 2), at: Self.at(100)) == [
                .leaderLost(previous: NodeID(1), term: 2)
            ])
        #expect(
            watch.observe(RoleState(role: .follower, leader: NodeID(3), term: 3), at: Self.at(300))
                == [.leaderElected(leader: NodeID(3), previous: NodeID(1), term: 3, isSelf: false)])
        #expect(
            watch.observe(RoleState(role: .follower, leader: NodeID(3), term: 3), at: Self.at(400)) == [],
            "the same leader is counted once")
    }

    @Test(
        "a leader that steps down in its own term with no successor lost its quorum; a higher term only supersedes it")
    func stepDowns() {
        var watch = Self.watch()
        _ = watch.observe(RoleState(role: .leader, leader: NodeID(1), term: 4), at: Self.at(0))
        #expect(
            watch.observe(RoleState(role: .follower, leader: nil, term: 4), at: Self.at(100)) == [.quorumLost(term: 4)])
        var superseded = Self.watch()
        _ = superseded.observe(RoleState(role: .leader, leader: NodeID(1), term: 4), at: Self.at(0))
        #expect(
            superseded.observe(RoleState(role: .follower, leader: nil, term: 5), at: Self.at(100)) == [
                .steppedDown(term: 5)
            ])
    }

    @Test("no leader for longer than the timeout is reported once per leaderless stretch, from start too")
    func leaderlessTooLong() {
        var watch = Self.watch()
        #expect(watch.check(at: Self.at(1_999)) == nil)
        #expect(watch.check(at: Self.at(2_500)) == .leaderlessTooLong(duration: .milliseconds(2_500)))
        #expect(watch.check(at: Self.at(5_000)) == nil, "once per stretch")
        _ = watch.observe(RoleState(role: .follower, leader: NodeID(2), term: 2), at: Self.at(6_000))
        _ = watch.observe(RoleState(role: .preCandidate, leader: nil, term: 2), at: Self.at(7_000))
        #expect(watch.check(at: Self.at(8_000)) == nil)
        #expect(
            watch.check(at: Self.at(9_500)) == .leaderlessTooLong(duration: .milliseconds(2_500)),
            "a new stretch warns again")
    }
}
