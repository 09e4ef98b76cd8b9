import Testing

@testable import RaftNode

/// A snapshot rewrites the whole state: its cost grows with the state, so members pace snapshots by what
/// the last one cost, up to a bound on the log they hold meanwhile.
@Suite("Snapshot pacing by duty cycle")
struct SnapshotPacingTests {
    let now = ContinuousClock.now

    @Test("after a snapshot that took t, at 10 % the next waits 9 t; at 100 % not at all")
    func paceFollowsTheLastSnapshotsCost() {
        #expect(NodeSnapshotState.pace(after: .seconds(2), endedAt: now, maxDutyPercent: 10) == now + .seconds(18))
        #expect(
            NodeSnapshotState.pace(after: .milliseconds(300), endedAt: now, maxDutyPercent: 25) == now
                + .milliseconds(900))
        #expect(NodeSnapshotState.pace(after: .seconds(5), endedAt: now, maxDutyPercent: 100) == now)
    }

    @Test(
        "a snapshot may start once its pace allows, or at once when the log since the last one reached the forced bound"
    )
    func mayStartHonoursPaceAndBound() {
        let later = now + .seconds(9)
        #expect(NodeSnapshotState.mayStart(now: now, paceUntil: nil, entriesSinceSnapshot: 10, forcedAfterEntries: 100))
        #expect(
            !NodeSnapshotState.mayStart(now: now, paceUntil: later, entriesSinceSnapshot: 99, forcedAfterEntries: 100))
        #expect(
            NodeSnapshotState.mayStart(now: now, paceUntil: later, entriesSinceSnapshot: 100, forcedAfterEntries: 100))
        #expect(
            NodeSnapshotState.mayStart(now: later, paceUntil: later, entriesSinceSnapshot: 1, forcedAfterEntries: 100))
    }
}
