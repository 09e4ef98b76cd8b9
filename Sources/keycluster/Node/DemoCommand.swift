import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster demo`: the README's main job. Brings up a three-region cluster of real processes on this
/// machine, writes through it, kills the leader's region, shows writes going on, brings the region back,
/// shows it caught up, and tears everything down.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a local three-region cluster, lose the leader's region, and show that writes go on."
    )

    @Option(help: "Milliseconds per Raft tick.")
    var tickMilliseconds = 100

    func run() async throws {
        let started = ContinuousClock.now
        func say(_ text: String) { print("[\((ContinuousClock.now - started).milliseconds) ms] \(text)") }

        let timing = NodeConfiguration.Timing(tickMilliseconds: tickMilliseconds, heartbeatTicks: 1, electionTicks: 10)
        try await withLocalCluster(regions: localRegions(members: 3), timing: timing) { cluster in
            for id in cluster.ids {
                say("member \(id) in region \(cluster.region(of: id)): https://\(cluster.client(id).address)")
            }
            let leader = try await cluster.waitForLeader()
            let leaderRegion = cluster.region(of: leader)
            say("leader elected: member \(leader) (\(leaderRegion))")
            let first = try await cluster.put("demo-before", via: cluster.ids.first { $0 != leader } ?? leader)
            say("write committed through a follower at revision \(first)")

            cluster.kill(leader)
            say("region \(leaderRegion) lost: member \(leader) killed with SIGKILL")
            let survivors = cluster.ids.filter { $0 != leader }
            var attempt = 0
            var during: UInt64?
            while during == nil {
                guard attempt < Self.maxWriteAttempts else { throw ValidationError("no write succeeded after the region loss") }
                during = try? await cluster.put("demo-during", via: survivors[attempt % survivors.count])
                attempt += 1
            }
            let newLeader = try await cluster.waitForLeader()
            say("write committed without region \(leaderRegion) at revision \(during ?? 0); new leader: member \(newLeader)")

            try cluster.start(leader)
            try await cluster.waitForCatchUp()
            say("region \(leaderRegion) back: member \(leader) restarted and caught up")
            for member in cluster.ids {
                for key in ["demo-before", "demo-during"] where try await cluster.value(key, on: member) == nil {
                    throw ValidationError("member \(member) is missing \(key)")
                }
            }
            say("every member holds both writes, the restarted one included")
        }
        say("demo done; the cluster is stopped and its files removed")
    }

    /// Writes tried after the region loss before the demo gives up (each waits for a leader up to 5 s).
    static let maxWriteAttempts = 20
}
