import ArgumentParser
import AsyncHTTPClient
import Foundation
import KeyCluster

/// `keycluster bench scale`: a national fleet on one 3-member cluster (issue 17 part B). Loads `--vehicles`
/// vehicles with `--keys-per-vehicle` grants each through the public API (every grant a Raft entry, applied
/// and audited), and measures what decides whether one cluster carries it: unlock p50/p99 (strict and
/// bounded) at the small baseline and at full size, member memory and LMDB size, snapshot size and write
/// time, a new learner's catch-up, a crashed member's restart, and an online backup. Progress on stderr.
struct ScaleBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract:
            "Load a fleet of grants through Raft and measure unlock latency, memory, snapshots, catch-up, restart and backup at that size.",
        discussion:
            "The default is the issue's fleet: 200,000 vehicles x 5 keys = 1,000,000 grants (about 10 minutes of loading on 2 cores)."
    )

    @Option(help: "Vehicles to load (each registered by an operator, then given its grants by its owner).")
    var vehicles = 200_000

    @Option(help: "Grants per vehicle, the owner's included.")
    var keysPerVehicle = 5

    @Option(help: "Vehicles loaded first, where the baseline unlock latency is measured.")
    var baselineVehicles = 200

    @Option(help: "Concurrent loading clients.")
    var clients = 256

    @Option(help: "Concurrent clients of each unlock run.")
    var unlockClients = 64

    @Option(help: "Seconds each unlock run lasts.")
    var unlockSeconds = 10

    @Flag(help: "Exit 1 when a target of the issue is not met.")
    var check = false

    @OptionGroup var output: BenchOutput

    /// Unlock runs spread over at most this many (vehicle, key) pairs.
    static let maxUnlockTargets = 20_000
    /// A member counts as caught up when it lacks at most this many entries (the leader's member list).
    static let caughtUpLagEntries: UInt64 = 10
    /// Waits for a restarted or joining member give up after this.
    static let memberWaitSeconds = 600.0

    func validate() throws {
        guard vehicles >= 1, baselineVehicles >= 1, baselineVehicles <= vehicles else {
            throw ValidationError(
                "--vehicles and --baseline-vehicles must be positive, the baseline no larger than the fleet")
        }
        guard (1...DomainLimits.defaultMaxKeysPerVehicle).contains(keysPerVehicle) else {
            throw ValidationError(
                "--keys-per-vehicle must be within 1...\(DomainLimits.defaultMaxKeysPerVehicle) (the per-vehicle key bound)"
            )
        }
        guard clients >= 1, unlockClients >= 1, unlockSeconds >= 1 else {
            throw ValidationError("--clients, --unlock-clients and --unlock-seconds must be positive")
        }
    }

    func run() async throws {
        let progress = output.progress
        let fleet = ScaleFleet(keysPerVehicle: keysPerVehicle)
        let totalGrants = vehicles * keysPerVehicle
        let report = try await withLocalCluster(
            regions: localRegions(members: 3), timing: .init(), admission: benchmarkAdmission
        ) { cluster in
            _ = try await cluster.waitForLeader()
            return try await withBenchClients(cluster, maxConnectionsPerMember: max(clients, unlockClients)) {
                operatorHTTP, http in
                let run = ScaleRun(
                    cluster: cluster, fleet: fleet, operatorHTTP: operatorHTTP, http: http, progress: progress,
                    unlockClients: unlockClients, unlockSeconds: unlockSeconds)
                let loader = ScaleLoader(
                    fleet: fleet, members: cluster.ids.map { cluster.client($0).address }, operatorHTTP: operatorHTTP,
                    ownerHTTP: http,
                    clients: clients, progress: progress)
                return try await run.measure(
                    loader: loader, vehicles: vehicles, baselineVehicles: baselineVehicles, totalGrants: totalGrants)
            }
        }
        try output.emit(report) { report.printMarkdown() }
        if check, report.targets.contains(where: { !$0.met }) { throw ExitCode(1) }
    }
}
