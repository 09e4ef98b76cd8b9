import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster bench failover`: how long writes stop when the leader dies.
///
/// Starts a local cluster of real `keycluster serve` processes with the given timing, then repeatedly:
/// waits for a leader, SIGKILLs it, and times from the kill to the first write acknowledged by a surviving
/// member (clients try every survivor in turn), then restarts the killed member and lets it catch up.
struct FailoverBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Time from SIGKILL of the leader to the first committed write on the new leader."
    )

    @Option(help: "Leader kills to time.")
    var runs = 20

    @Option(help: "Members (each in its own region).")
    var members = 3

    @Option(help: "Milliseconds per Raft tick (production default 100).")
    var tickMilliseconds = 100

    @Option(help: "Election timeout in ticks, randomised up to twice this (production default 10).")
    var electionTicks = 10

    @OptionGroup var output: BenchOutput

    struct Report: Encodable {
        var members: Int
        var runs: Int
        var tickMilliseconds: Int
        var electionTicks: Int
        /// Each run's SIGKILL → first committed write, sorted.
        var failoverMilliseconds: [Double]
    }

    /// How long one failover may take before the run is reported as failed.
    static let maxFailoverSeconds = 30.0

    func run() async throws {
        guard runs > 0, (3...7).contains(members) else { throw ValidationError("runs > 0 and 3–7 members") }
        let timing = NodeConfiguration.Timing(
            tickMilliseconds: tickMilliseconds, heartbeatTicks: 1, electionTicks: electionTicks)
        let samples = try await withLocalCluster(regions: localRegions(members: members), timing: timing) { cluster in
            var samples: [Duration] = []
            for run in 1...runs {
                let leader = try await cluster.waitForLeader()
                try await cluster.put("warm-\(run)", via: leader)
                let killedAt = ContinuousClock.now
                cluster.kill(leader)
                let survivors = cluster.ids.filter { $0 != leader }
                var attempt = 0
                while (try? await cluster.put("after-\(run)", via: survivors[attempt % survivors.count])) == nil {
                    attempt += 1
                    guard ContinuousClock.now - killedAt < .seconds(Self.maxFailoverSeconds) else {
                        throw ValidationError(
                            "run \(run): no write succeeded within \(Self.maxFailoverSeconds) s of the kill")
                    }
                }
                let elapsed = ContinuousClock.now - killedAt
                samples.append(elapsed)
                output.progress.say(
                    "run \(run): leader \(leader) killed, first write committed after \(elapsed.milliseconds) ms")
                try cluster.start(leader)
                try await cluster.waitForCatchUp()
            }
            return samples.sorted()
        }
        let median = samples[samples.count / 2]
        let report = Report(
            members: members, runs: runs, tickMilliseconds: tickMilliseconds, electionTicks: electionTicks,
            failoverMilliseconds: samples.map { $0.seconds * 1_000 })
        if output.json { return try ClusterOptions.printJSON(report) }
        print(
            """

            | failover (SIGKILL leader → first committed write), \(members) members, \(runs) runs | value |
            |---|---|
            | timing | tick \(tickMilliseconds) ms, heartbeat 1 tick, election \(electionTicks)–\(2 * electionTicks) ticks |
            | median | \(median.milliseconds) ms |
            | worst | \(samples[samples.count - 1].milliseconds) ms |
            | best | \(samples[0].milliseconds) ms |
            """)
    }
}
