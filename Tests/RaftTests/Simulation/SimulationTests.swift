import Foundation
import Raft
import Testing

/// `swift test --filter Simulation` runs this. `KEYCLUSTER_SIM_SEEDS=N` runs seeds 1...N;
/// `KEYCLUSTER_SIM_SEED=S` replays seed S alone. A failure prints the seed, the broken invariant and
/// the last events before it; the same seed replays it exactly.
@Suite("Simulation")
struct SimulationTests {
    /// Keeps the default run under about three minutes in a debug build on two shared cores.
    static let defaultSeedCount: UInt64 = 1_000

    /// `KEYCLUSTER_SIM_TRACE=K` prints the last K events of a failing run instead of the default.
    static var traceCapacity: Int {
        ProcessInfo.processInfo.environment["KEYCLUSTER_SIM_TRACE"].flatMap(Int.init).map { max($0, 1) } ?? Simulation.defaultTraceCapacity
    }

    static var seeds: ClosedRange<UInt64> {
        let environment = ProcessInfo.processInfo.environment
        if let replay = environment["KEYCLUSTER_SIM_SEED"].flatMap(UInt64.init) {
            return replay...replay
        }
        let count = environment["KEYCLUSTER_SIM_SEEDS"].flatMap(UInt64.init) ?? defaultSeedCount
        return 1...max(count, 1)
    }

    @Test("the cluster stays safe, linearizable and live under crashes, partitions, loss, duplication and reordering")
    func randomizedFaults() {
        let seeds = Self.seeds
        print("Simulation: seeds \(seeds.lowerBound)...\(seeds.upperBound) (\(seeds.count) seeds)")
        var worstHealToLeaderCommitTicks = 0
        var readStatistics = SimReads.Statistics()
        for seed in seeds {
            let simulation = Simulation(seed: seed, traceCapacity: Self.traceCapacity)
            do {
                try simulation.run()
                worstHealToLeaderCommitTicks = max(worstHealToLeaderCommitTicks, simulation.healToLeaderCommitTicks ?? 0)
                readStatistics = readStatistics + simulation.reads.statistics
            } catch {
                let report = """
                Simulation FAILED at seed \(seed) (replay: KEYCLUSTER_SIM_SEED=\(seed) swift test --filter Simulation)
                invariant: \(error.invariant)
                detail: \(error.detail)
                \(simulation.summary)
                members:
                \(simulation.renderedNodes)
                last \(simulation.trace.capacity) events:
                \(simulation.renderedTrace)
                """
                print(report)
                Issue.record(Comment(rawValue: report))
                return
            }
        }
        print("Simulation: seeds \(seeds.lowerBound)...\(seeds.upperBound) passed; slowest recovery after the heal: a leader committed within \(worstHealToLeaderCommitTicks) ticks (bound \(Simulation.leaderAfterHealBoundTicks))")
        print("Simulation: \(readStatistics.description)")
    }

    @Test("the same seed replays the same run")
    func replayIsExact() throws {
        let first = Simulation(seed: 7)
        let second = Simulation(seed: 7)
        try first.run()
        try second.run()
        #expect(first.summary == second.summary)
        #expect(first.renderedTrace == second.renderedTrace)
    }
}
