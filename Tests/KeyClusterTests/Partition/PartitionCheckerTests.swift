import Testing

/// The checker must catch the bugs it exists for: each planted in an otherwise clean history.
@Suite("Partition checker catches planted bugs")
struct PartitionCheckerTests {
    let checker = PartitionChecker(maxStaleness: .milliseconds(2_000))

    func event(
        _ key: String, _ operation: PartitionEvent.Operation, _ invoked: Int, _ returned: Int?,
        _ outcome: PartitionEvent.Outcome
    ) -> PartitionEvent {
        PartitionEvent(
            key: key, operation: operation, invokedAt: .milliseconds(invoked),
            returnedAt: returned.map { .milliseconds($0) },
            outcome: outcome, member: 1)
    }

    /// k1 granted, unlocked, revoked, then denied; k2 granted (unknown), unlocked bounded, still active.
    var cleanHistory: [PartitionEvent] {
        [
            event("k1", .grant, 0, 100, .acknowledged(revision: 5)),
            event("k1", .unlock, 150, 250, .authorized(strict: true)),
            event("k1", .unlock, 200, 240, .authorized(strict: false)),
            event("k1", .revoke, 300, 400, .acknowledged(revision: 7)),
            event("k1", .unlock, 380, 450, .authorized(strict: true)),  // concurrent with the revoke: allowed
            event("k1", .unlock, 1_500, 1_600, .authorized(strict: false)),  // within maxStaleness: allowed
            event("k1", .unlock, 500, 600, .refused("denied-no-grant")),
            event("k2", .grant, 0, nil, .unknown("timeout")),
            event("k2", .grant, 200, 300, .refused("key-already-granted")),
            event("k2", .unlock, 400, 500, .authorized(strict: true)),
        ]
    }

    var healthyMembers: [UInt64: PartitionChecker.MemberState] {
        [1: .init(activeKeys: ["k2"], appliedIndex: 9), 2: .init(activeKeys: ["k2"], appliedIndex: 9)]
    }

    @Test("a clean history with concurrent and ambiguous operations passes")
    func cleanHistoryPasses() {
        #expect(checker.violations(cleanHistory, finalStates: healthyMembers) == [])
    }

    @Test("an acknowledged revoke missing on one member after healing is flagged")
    func lostRevoke() {
        var members = healthyMembers
        members[2]?.activeKeys.insert("k1")
        let found = checker.violations(cleanHistory, finalStates: members)
        #expect(found.count == 1 && found[0].contains("acknowledged revoke lost on member 2"), "\(found)")
    }

    @Test("an acknowledged grant missing after healing, or a member behind the last acknowledged revision, is flagged")
    func lostGrant() {
        let history = cleanHistory + [event("k3", .grant, 600, 700, .acknowledged(revision: 9))]
        var members = healthyMembers
        members[1]?.activeKeys.insert("k3")
        members[2]?.appliedIndex = 8
        let found = checker.violations(history, finalStates: members)
        #expect(found.contains { $0.contains("acknowledged grant lost on member 2") }, "\(found)")
        #expect(found.contains { $0.contains("member 2 applied 8 < acknowledged revision 9") }, "\(found)")
    }

    @Test("a strict refusal invoked after a grant was acknowledged and before its revoke is not linearizable")
    func strictRefusalWhileGranted() {
        let history = cleanHistory + [event("k1", .unlock, 150, 160, .denied(strict: true))]
        let found = checker.violations(history, finalStates: healthyMembers)
        #expect(found.contains { $0.contains("no linearization") || $0.contains("linearizable") }, "\(found)")
        let bounded = cleanHistory + [event("k1", .unlock, 150, 160, .denied(strict: false))]
        #expect(
            checker.violations(bounded, finalStates: healthyMembers) == [],
            "a bounded refusal is not a linearizable read")
    }

    @Test("a strict unlock invoked after the revoke was acknowledged is flagged")
    func strictUnlockAfterRevoke() {
        let history = cleanHistory + [event("k1", .unlock, 401, 450, .authorized(strict: true))]
        let found = checker.violations(history, finalStates: healthyMembers)
        #expect(found.contains { $0.contains("strict unlock invoked 1 ms after the revoke") }, "\(found)")
    }

    @Test("a bounded unlock after revoke-ack + maxStaleness is flagged; one just inside is not")
    func boundedUnlockAfterStaleness() {
        let inside = cleanHistory + [event("k1", .unlock, 400 + 2_000, 2_500, .authorized(strict: false))]
        #expect(checker.violations(inside, finalStates: healthyMembers) == [])
        let outside = cleanHistory + [event("k1", .unlock, 400 + 2_001, 2_500, .authorized(strict: false))]
        let found = checker.violations(outside, finalStates: healthyMembers)
        #expect(found.count == 1 && found[0].contains("bounded unlock invoked 2001 ms after"), "\(found)")
    }

    @Test("a history with no linearization is flagged, though no single rule above catches it")
    func nonLinearizable() {
        // A strict unlock that saw k4 active and returned before its only grant was even invoked.
        let history =
            cleanHistory + [
                event("k4", .unlock, 0, 50, .authorized(strict: true)),
                event("k4", .grant, 100, 200, .acknowledged(revision: 8)),
            ]
        var members = healthyMembers
        for id in members.keys { members[id]?.activeKeys.insert("k4") }
        let found = checker.violations(history, finalStates: members)
        #expect(found.count == 1 && found[0].contains("key k4") && found[0].contains("not linearizable"), "\(found)")
        // A grant acknowledged twice without a revoke between them has no linearization either.
        let doubled =
            cleanHistory + [
                event("k5", .grant, 0, 50, .acknowledged(revision: 8)),
                event("k5", .grant, 100, 150, .acknowledged(revision: 9)),
            ]
        for id in members.keys { members[id]?.activeKeys.insert("k5") }
        #expect(checker.violations(doubled, finalStates: members).contains { $0.contains("key k5") })
    }

    @Test("unlock success rate and p99 are computed per fault window")
    func windowStats() {
        let history = (0..<100).map { index in
            event(
                "k1", .unlock, index * 10, index * 10 + (index == 99 ? 900 : 20),
                index < 90 ? .authorized(strict: true) : .unknown("503"))
        }
        let stats = PartitionChecker.windowStats(
            history, phases: [.init(name: "fault", start: .zero, end: .milliseconds(1_000))])
        #expect(stats.count == 1 && stats[0].attempts == 100 && stats[0].answered == 90)
        #expect(stats[0].p99 == .milliseconds(20))
    }
}
