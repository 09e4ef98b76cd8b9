import Foundation
import TestSupport
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
        ProcessInfo.processInfo.environment["KEYCLUSTER_SIM_TRACE"].flatMap(Int.init).map { max($0, 1) }
            ?? Simulation.defaultTraceCapacity
    }

    static var seeds: ClosedRange<UInt64> {
        let environment = ProcessInfo.processInfo.environment
        if let replay = environment["KEYCLUSTER_SIM_SEED"].flatMap(UInt64.init) {
            return replay...replay
        }
        let count = environment["KEYCLUSTER_SIM_SEEDS"].flatMap(UInt64.init) ?? defaultSeedCount
        return 1...max(count, 1)
    }

    /// What a run of many seeds found: the first failure's report, or the statistics of them all.
    struct Outcome: Sendable {
        var failureReport: String?
        var worstHealToLeaderCommitTicks = 0
        var readStatistics = SimReads.Statistics()
        var freshnessStatistics = SimFreshness.Statistics()
    }

    static func runSeeds(_ seeds: ClosedRange<UInt64>, traceCapacity: Int) -> Outcome {
        var outcome = Outcome()
        for seed in seeds {
            let simulation = Simulation(seed: seed, traceCapacity: traceCapacity)
            do {
                try simulation.run()
                outcome.worstHealToLeaderCommitTicks = max(
                    outcome.worstHealToLeaderCommitTicks, simulation.healToLeaderCommitTicks ?? 0)
                outcome.readStatistics = outcome.readStatistics + simulation.reads.statistics
                outcome.freshnessStatistics = outcome.freshnessStatistics + simulation.freshness.statistics
            } catch {
                outcome.failureReport = """
                    Simulation FAILED at seed \(seed) (replay: KEYCLUSTER_SIM_SEED=\(seed) swift test --filter Simulation)
                    invariant: \(error.invariant)
                    detail: \(error.detail)
                    \(simulation.summary)
                    members:
                    \(simulation.renderedNodes)
                    last \(simulation.trace.capacity) events:
                    \(simulation.renderedTrace)
                    """
                return outcome
            }
        }
        return outcome
    }

    @Test("the cluster stays safe, linearizable and live under crashes, partitions, loss, duplication and reordering")
    func randomizedFaults() async throws {
        let seeds = Self.seeds
        let traceCapacity = Self.traceCapacity
        print("Simulation: seeds \(seeds.lowerBound)...\(seeds.upperBound) (\(seeds.count) seeds)")
        let outcome = try await onDedicatedThread { Self.runSeeds(seeds, traceCapacity: traceCapacity) }
        if let report = outcome.failureReport {
            print(report)
            Issue.record(Comment(rawValue: report))
            return
        }
        print(
            "Simulation: seeds \(seeds.lowerBound)...\(seeds.upperBound) passed; slowest recovery after the heal: a leader committed within \(outcome.worstHealToLeaderCommitTicks) ticks (bound \(Simulation.leaderAfterHealBoundTicks))"
        )
        print("Simulation: \(outcome.readStatistics.description)")
        print("Simulation: \(outcome.freshnessStatistics.description)")
        #expect(
            outcome.freshnessStatistics.served > 0 && outcome.freshnessStatistics.servedByRestartedOrPaused > 0,
            "bounded reads were exercised, also on returning members")
    }

    @Test("the same seed replays the same run")
    func replayIsExact() async throws {
        let (first, second) = try await onDedicatedThread {
            let runs = [Simulation(seed: 7), Simulation(seed: 7)]
            for run in runs { try run.run() }
            return (runs[0].summary + runs[0].renderedTrace, runs[1].summary + runs[1].renderedTrace)
        }
        #expect(first == second)
    }
}
