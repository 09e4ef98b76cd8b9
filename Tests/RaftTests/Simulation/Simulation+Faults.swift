import RaftCore

/// The nemesis: crashes, restarts, partitions, loss and duplication during the fault phase.
extension Simulation {
    /// Swarm testing: each seed draws its own fault rates, so some runs are calm and some brutal.
    static let nemesisIntervalChoicesUnits = [5..<40, 10..<100, 30..<300]
    static let downtimeChoicesUnits = [5..<100, 20..<1_000]
    /// Chance that a newly elected leader is crashed shortly after it takes over. Leaders that die
    /// young, one after another, leave the divergent logs of Raft's Figure 8 behind them.
    static let crashNewLeaderPercentChoices: [UInt64] = [0, 30, 70]
    static let crashNewLeaderDelayUnits = 0..<80

    /// Called when a member becomes leader during the fault phase.
    func leaderElected(_ id: NodeID) {
        guard now < faultsEndAt, random.chance(crashNewLeaderPercent, in: 100) else { return }
        schedule(.crash(id), after: random.next(in: Self.crashNewLeaderDelayUnits))
    }

    func crash(_ node: SimNode) {
        guard node.isUp, now < faultsEndAt else { return }
        node.crash()
        reportConnectionsLost(to: node.id)
        schedule(.restart(node.id), after: random.next(in: downtimeUnits))
    }

    func nemesis() throws(SimulationFailure) {
        guard now < faultsEndAt else { return }
        switch random.next(below: 100) {
        case 0..<(isFigure8Run ? 60 : 10):
            isolateLeaderThenCrash()
        case (isFigure8Run ? 60 : 10)..<(isFigure8Run ? 70 : 25):
            // Leaders are the interesting victims: half the crashes pick one when there is one.
            let upNodes = nodes.filter(\.isUp)
            let leaders = upNodes.filter { $0.core?.role == .leader }
            let candidates = !leaders.isEmpty && random.chance(1, in: 2) ? leaders : upNodes
            if !candidates.isEmpty {
                crash(candidates[random.next(in: 0..<candidates.count)])
            }
        case 25..<40:
            // A symmetric partition: each member on a random side; nothing crosses.
            let sides = nodes.map { _ in random.chance(1, in: 2) }
            for (fromIndex, from) in nodes.enumerated() {
                for (toIndex, to) in nodes.enumerated() where sides[fromIndex] != sides[toIndex] {
                    network.block(from: from.id, to: to.id)
                    reportPartitioned(observer: to.id, peer: from.id)
                }
            }
        case 40..<52:
            let from = nodes[random.next(in: 0..<nodes.count)].id
            let to = nodes[random.next(in: 0..<nodes.count)].id
            if from != to {
                network.block(from: from, to: to)
            }
        case 52..<75:
            network.healPartitions()
        case 75..<88:
            network.dropPercent = [0, 5, 20, 50][random.next(in: 0..<4)]
        default:
            network.duplicatePercent = [0, 5, 20][random.next(in: 0..<3)]
        }
        schedule(.nemesis, after: random.next(in: nemesisIntervalUnits))
    }

    /// Raft's Figure 8 as a nemesis: the leader is cut off from everyone — so what it appends from now on
    /// reaches no one — and crashes shortly after, its links restored for when it restarts. Repeated with
    /// young leaders crashing, it leaves members holding entries of different old terms at one index,
    /// which is where a leader that committed an earlier term's entry by counting replicas would lose it.
    func isolateLeaderThenCrash() {
        guard let leader = nodes.first(where: { $0.core?.role == .leader }) else { return }
        for other in nodes where other.id != leader.id {
            network.block(from: leader.id, to: other.id)
            network.block(from: other.id, to: leader.id)
        }
        schedule(.isolatedLeaderCrash(leader.id), after: random.next(in: Self.isolatedLeaderLifetimeUnits))
    }

    /// How long an isolated leader lives on, appending what clients send it, before it crashes.
    static let isolatedLeaderLifetimeUnits = 5..<60

    /// End of the fault phase: everyone up, every link working, no loss. Each client finishes what it
    /// is doing and makes one more request, which must succeed in bounded time.
    func healAll() throws(SimulationFailure) {
        healedAt = now
        network.healEverything()
        for node in nodes {
            try restart(node)
        }
        for index in clients.indices {
            clients[index].remainingOperations = 1
            if clients[index].isIdle && clients[index].remainingOperations > 0 {
                schedule(.clientStep(clientID: clients[index].id), after: 0)
            }
        }
    }
}
