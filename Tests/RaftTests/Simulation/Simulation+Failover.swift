import RaftCore

/// A calm run for measuring failover: no loss, no partitions, no clients; the first leader is crashed
/// once, at a random moment after it has settled, and the time until another member leads is taken.
extension Simulation {
    /// Time given to the first election and its commit before the leader is crashed.
    static let failoverWarmupUnits: SimTime = 200 * unitsPerTick
    /// Spread of the crash moment, so it falls anywhere between two heartbeats and election ticks.
    static let failoverCrashSpreadUnits = 0..<(10 * unitsPerTick)
    /// Liveness: a new leader must be elected within this after the crash.
    static let failoverBoundTicks = 1_000

    /// Ticks from the leader's crash until a member leads a later term. Election safety is checked
    /// after every event throughout.
    func measureFailover() throws(SimulationFailure) -> Double {
        network.healEverything()
        for node in nodes {
            schedule(.tick(node.id), after: random.next(in: 0..<Self.unitsPerTick))
        }
        let crashAt = Self.failoverWarmupUnits + random.next(in: Self.failoverCrashSpreadUnits)
        var crashed: (term: Term, at: SimTime)?
        while let (time, event) = queue.popEarliest() {
            now = time
            trace.append((now, event))
            try handle(event)
            let cores = nodes.compactMap(\.core)
            try checker.checkElectionSafety(cores)
            if let crashed {
                if cores.contains(where: { $0.role == .leader && $0.term > crashed.term }) {
                    return Double(now - crashed.at) / Double(Self.unitsPerTick)
                }
                guard now - crashed.at <= Self.failoverBoundTicks * Self.unitsPerTick else {
                    throw SimulationFailure(
                        invariant: "liveness",
                        detail: "no new leader \(Self.failoverBoundTicks) ticks after the leader crashed")
                }
            } else if now >= crashAt, let leader = nodes.first(where: { $0.core?.role == .leader }),
                let term = leader.core?.term
            {
                leader.crash()
                reportConnectionsLost(to: leader.id)
                crashed = (term, now)
            }
        }
        throw SimulationFailure(invariant: "liveness", detail: "the event queue ran dry")
    }
}
