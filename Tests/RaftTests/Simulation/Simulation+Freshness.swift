import RaftCore

/// Bounded-staleness reads in the simulator (design §6; `RaftCore+Freshness`). The simulated runtime stamps
/// every freshness probe with the global time and event number at which it took the Ready announcing it —
/// as `RaftNode` stamps them with its clock — and, at random moments, asks a random member for a bounded
/// read. The member serves it only if its core's witness probe left within `maxStalenessUnits`; then the
/// invariant is checked: every entry applied anywhere before that probe left (so committed, so possibly
/// acknowledged to a client) is applied on the serving member. Members crash and restart (losing their
/// witness), and are paused (a frozen process, whose stale witness and late answers must not count).
struct SimFreshness {
    struct Stamp {
        let time: SimTime
        let event: Int
    }

    /// The highest index applied by any member, with the event at which it first was: ascending in both.
    var appliedAnywhere: [(event: Int, index: LogIndex)] = []
    var statistics = Statistics()

    struct Statistics {
        var served = 0
        var refused = 0
        var servedByRestartedOrPaused = 0

        static func + (lhs: Statistics, rhs: Statistics) -> Statistics {
            Statistics(
                served: lhs.served + rhs.served, refused: lhs.refused + rhs.refused,
                servedByRestartedOrPaused: lhs.servedByRestartedOrPaused + rhs.servedByRestartedOrPaused)
        }

        var description: String {
            "bounded reads served \(served) (\(servedByRestartedOrPaused) by members back from a crash or pause), refused as not fresh \(refused)"
        }
    }

    mutating func noteApplied(_ index: LogIndex, event: Int) {
        if index > appliedAnywhere.last?.index ?? 0 { appliedAnywhere.append((event, index)) }
    }

    /// The highest index applied anywhere strictly before `event`.
    func highestAppliedBefore(event: Int) -> LogIndex {
        var low = 0
        var high = appliedAnywhere.count
        while low < high {
            let middle = (low + high) / 2
            if appliedAnywhere[middle].event < event { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? 0 : appliedAnywhere[low - 1].index
    }
}

extension Simulation {
    /// How often someone asks a random member for a bounded read.
    static let boundedReadIntervalUnits = 5..<60

    /// The runtime's half of freshness: stamp the probes a Ready announces before its messages leave.
    func stampProbes(of ready: Ready, on node: SimNode) {
        for probe in ready.freshnessProbesIssued {
            node.probeStamps[probe] = SimFreshness.Stamp(time: now, event: eventCount)
        }
    }

    /// The runtime reports what its state machine applied, as `RaftNode` does after each durable write.
    func reportApplied(on node: SimNode) {
        freshness.noteApplied(node.stateMachineAppliedIndex, event: eventCount)
        node.withCore { $0.stateMachineApplied(through: node.stateMachineAppliedIndex) }
    }

    func boundedRead() throws(SimulationFailure) {
        defer { schedule(.boundedRead, after: random.next(in: Self.boundedReadIntervalUnits)) }
        let candidates = nodes.filter { $0.isUp && (reads.pausedUntil[$0.id] ?? 0) <= now }
        guard !candidates.isEmpty else { return }
        let node = candidates[random.next(in: 0..<candidates.count)]
        guard let witness = node.core?.freshnessWitness, let stamp = node.probeStamps[witness.probe],
            now - stamp.time <= maxStalenessUnits
        else {
            freshness.statistics.refused += 1
            return
        }
        let required = freshness.highestAppliedBefore(event: stamp.event)
        guard node.stateMachineAppliedIndex >= required else {
            throw SimulationFailure(
                invariant: "bounded staleness",
                detail:
                    "\(node.id) served a bounded read at t=\(now) from applied \(node.stateMachineAppliedIndex), fresh as of probe \(witness.probe) stamped t=\(stamp.time), but index \(required) was applied elsewhere before that"
            )
        }
        freshness.statistics.served += 1
        if node.returnedAt.map({ $0 >= stamp.time - maxStalenessUnits }) == true {
            freshness.statistics.servedByRestartedOrPaused += 1
        }
    }
}
