import RaftCore

/// Membership churn during the fault phase: the leader adds a fresh member as a learner, promotes it,
/// removes a voter (possibly itself) — while crashes, partitions and loss go on. Half the changes are
/// forced past the placement check, so voter sets of every shape occur.
extension Simulation {
    static let membershipChangeIntervalUnits: Range<SimTime> = 50..<800
    /// After an accepted change, an impatient operator often asks for the next one at once — while the
    /// first is still uncommitted, which the core must refuse.
    static let impatientOperatorDelayUnits: Range<SimTime> = 1..<30
    /// Members added over a run, beyond the initial ones.
    static let maxSpawnedMembers = 4
    static let regionNames = ["eu", "us", "ap"]

    static func region(of id: NodeID) -> String {
        regionNames[Int(id.rawValue % UInt64(regionNames.count))]
    }

    func membershipChange() throws(SimulationFailure) {
        guard now < faultsEndAt else { return }
        let leaders = nodes.filter { $0.core?.role == .leader }
        let leader = leaders.isEmpty ? nil : leaders[random.next(in: 0..<leaders.count)]
        guard let leader, let current = leader.core?.configuration else {
            scheduleMembershipChange(impatient: false)
            return
        }
        let newID = NodeID(UInt64(nodes.count) + 1)
        let change: MembershipChange
        if let learner = current.learners.first {
            change = random.chance(1, in: 4) ? .remove(learner) : .promote(learner)
        } else if current.voters.count > configuration.voters.count {
            change = .remove(current.voters[random.next(in: 0..<current.voters.count)])
        } else if nodes.count < configuration.voters.count + Self.maxSpawnedMembers {
            change = .addLearner(newID, region: Self.region(of: newID))
        } else {
            scheduleMembershipChange(impatient: false)
            return
        }
        let force = random.chance(1, in: 2)
        var accepted = false
        leader.withCore { accepted = (try? $0.proposeMembershipChange(change, force: force)) != nil }
        membershipChangesAccepted += accepted ? 1 : 0
        scheduleMembershipChange(impatient: accepted && random.chance(1, in: 2))
        if accepted, case .addLearner = change {
            // A new member starts empty, knowing only the bootstrap configuration (in which it does not
            // vote); it learns the rest from the leader, through the log or a snapshot.
            nodes.append(
                SimNode(
                    id: newID,
                    core: RaftCore(id: newID, configuration: configuration, options: options, randomSeed: random.next())
                ))
            schedule(.tick(newID), after: random.next(in: 0..<Self.unitsPerTick))
        }
        try drain(leader)
    }

    private func scheduleMembershipChange(impatient: Bool) {
        schedule(
            .membershipChange,
            after: random.next(in: impatient ? Self.impatientOperatorDelayUnits : Self.membershipChangeIntervalUnits))
    }
}
