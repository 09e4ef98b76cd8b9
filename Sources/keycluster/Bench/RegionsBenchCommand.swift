import ArgumentParser
import Foundation
import KeyCluster
import KeyClusterTooling

/// `keycluster bench regions`: what clients see when a leader or a whole region is lost, in the
/// multi-region simulation (each member in its own network namespace, 40–80 ms round trips between
/// regions; `Deploy/netns-cluster.sh`). Needs root.
///
/// For each cluster size and each run: unlock clients (failover `ClusterClient`, own region first) keep
/// unlocking while the leader — or every member of the leader's region — is SIGKILLed; the run reports the
/// share of unlocks that got a token and their p99 latency over the fault window, and the time from the
/// kill to the first write acknowledged by a survivor. Then the members are restarted and catch up.
struct RegionsBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regions",
        abstract:
            "Unlock success and p99 during leader and region loss, and time until writes resume, in network namespaces."
    )

    @Option(help: "Comma-separated cluster sizes (3: regions 1-1-1, 5: 2-2-1).")
    var members = "3,5"

    @Option(help: "Runs of each fault per cluster size.")
    var runs = 3

    @Option(help: "Seconds of unlock load measured from each kill.")
    var faultSeconds = 6

    @Option(help: "Concurrent unlock clients.")
    var clients = 4

    @Option(help: "The multi-region simulation script.")
    var script = "Deploy/netns-cluster.sh"

    @Option(help: "Milliseconds per Raft tick.")
    var tickMilliseconds = 50

    @Option(help: "Election timeout in ticks (randomised up to twice this).")
    var electionTicks = 10

    @OptionGroup var output: BenchOutput

    /// How long a failover may take before the run is reported as failed.
    static let maxWriteResumeSeconds = 30.0
    static let vin = "5YJ3E1EA7KF317003"

    struct Row: Encodable {
        var members: Int
        var fault: String
        var unlocks: [LoadRun.Result] = []
        var writeResume: [Duration] = []

        enum CodingKeys: String, CodingKey { case members, fault, unlocks, writeResumeMilliseconds }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(members, forKey: .members)
            try container.encode(fault, forKey: .fault)
            try container.encode(unlocks.map(\.summary), forKey: .unlocks)
            try container.encode(writeResume.map { $0.seconds * 1_000 }, forKey: .writeResumeMilliseconds)
        }
    }

    func run() async throws {
        let sizes = try members.split(separator: ",").map { text -> Int in
            guard let size = Int(text), size == 3 || size == 5 else { throw ValidationError("sizes are 3 or 5") }
            return size
        }
        guard runs > 0, faultSeconds > 0, clients > 0 else {
            throw ValidationError("runs, fault seconds and clients must be positive")
        }
        if let reason = NamespaceCluster.unavailableReason(script: script) {
            throw ValidationError("cannot run the simulation: \(reason)")
        }
        var rows: [Row] = []
        for size in sizes { rows += try await measure(size: size) }
        if output.json { return try ClusterOptions.printJSON(rows) }
        print(
            """

            | members (regions) | fault | unlocks answered with a token | unlock p99 | writes resume after, median (worst) |
            |---|---|---|---|---|
            """)
        for row in rows {
            let succeeded = row.unlocks.reduce(0) { $0 + $1.succeeded }
            let total = row.unlocks.reduce(0) { $0 + $1.succeeded + $1.failed }
            let latencies = row.unlocks.flatMap(\.latencies).sorted()
            let p99 =
                latencies.isEmpty ? Duration.zero : latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
            let resume = row.writeResume.sorted()
            let layout = row.members == 3 ? "3 (1-1-1)" : "5 (2-2-1)"
            print(
                "| \(layout) | \(row.fault) | \(String(format: "%.2f", 100 * Double(succeeded) / Double(max(total, 1))))% of \(total) "
                    + "| \(Self.ms(p99)) | \(Self.ms(resume[resume.count / 2])) (\(Self.ms(resume[resume.count - 1]))) |"
            )
        }
    }

    private func measure(size: Int) async throws -> [Row] {
        var options = NamespaceCluster.Options()
        options.size = size
        options.tickMilliseconds = tickMilliseconds
        options.electionTicks = electionTicks
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let directory = FileManager.default.temporaryDirectory.path + "/keycluster-bench-regions-\(getpid())-\(size)"
        let cluster = try NamespaceCluster(script: script, binary: executable, directory: directory, options: options)
        do {
            let rows = try await measure(cluster, size: size)
            await cluster.down()
            return rows
        } catch {
            await cluster.down()
            throw error
        }
    }

    private func measure(_ cluster: NamespaceCluster, size: Int) async throws -> [Row] {
        let leader = try await cluster.waitForLeader()
        let operatorHTTP = try MemberClient.makeHTTPClient(
            caCertificatePath: cluster.caCertificatePath,
            clientCertificate: try LocalClusterLayout(directory: cluster.directory).issueOperator(name: "bench"))
        let vin = try VIN(validating: Self.vin)
        let owner = KeyHolder()
        let driver = KeyHolder()
        do {
            let operatorClient = ClusterClient(
                addresses: [(cluster.client(leader).address, cluster.region(of: leader))], preferredRegion: nil,
                http: operatorHTTP)
            let enrolled = try await operatorClient.registerVehicle(vin, owner: owner.publicKey)
            try await operatorHTTP.shutdown()
            let granted = try await ClusterClient(
                addresses: addresses(cluster), preferredRegion: nil, http: cluster.http
            )
            .grant(driver.publicKey, role: .driver, on: vin, signedBy: owner, minRevision: enrolled.revision)
            try await cluster.waitForApplied(granted.revision)
        } catch {
            try? await operatorHTTP.shutdown()
            throw error
        }
        var leaderLoss = Row(members: size, fault: "leader killed")
        var regionLoss = Row(members: size, fault: "leader's region killed")
        for run in 1...runs {
            for regionWide in [false, true] {
                let leader = try await cluster.waitForLeader()
                let victims =
                    regionWide ? cluster.ids.filter { cluster.region(of: $0) == cluster.region(of: leader) } : [leader]
                let (unlocks, resume) = try await fault(cluster, victims: victims, run: run, vin: vin, driver: driver)
                let name = regionWide ? "region \(cluster.region(of: leader)) (members \(victims))" : "leader \(leader)"
                output.progress.say(
                    "\(size) members, run \(run), \(name) killed: \(unlocks.succeeded)/\(unlocks.succeeded + unlocks.failed) unlocks, "
                        + "p99 \(Self.ms(unlocks.percentile(0.99))), writes resumed after \(Self.ms(resume))")
                if regionWide {
                    regionLoss.unlocks.append(unlocks)
                    regionLoss.writeResume.append(resume)
                } else {
                    leaderLoss.unlocks.append(unlocks)
                    leaderLoss.writeResume.append(resume)
                }
                for id in victims { try cluster.run("start", "\(id)") }
                let leaderNow = try await cluster.waitForLeader()
                try await cluster.waitForApplied(try await cluster.status(leaderNow).commitIndex)
            }
        }
        return [leaderLoss, regionLoss]
    }

    /// Kills `victims` while unlock clients run for `faultSeconds`; returns their result and the time
    /// from the kill to the first write a survivor acknowledged.
    private func fault(
        _ cluster: NamespaceCluster, victims: [UInt64], run: Int, vin: VIN, driver: KeyHolder
    ) async throws -> (LoadRun.Result, Duration) {
        let regions = Array(Set(cluster.members.map(\.region))).sorted()
        let failovers = (0..<clients).map { client in
            ClusterClient(
                addresses: addresses(cluster), preferredRegion: regions[client % regions.count], http: cluster.http)
        }
        let load = LoadRun(clients: clients, duration: .seconds(faultSeconds))
        async let unlocks = load.run { client, _ in
            (try? await failovers[client].command(.unlock, on: vin, as: driver)) != nil
        }
        let killedAt = ContinuousClock.now
        for id in victims { try cluster.run("kill", "\(id)") }
        let survivors = cluster.ids.filter { !victims.contains($0) }
        var attempt = 0
        while (try? await cluster.client(survivors[attempt % survivors.count])
            .put("/debug/kv/bench-\(run)-\(attempt)", body: Array("x".utf8), as: WriteResponse.self)) == nil
        {
            attempt += 1
            guard ContinuousClock.now - killedAt < .seconds(Self.maxWriteResumeSeconds) else {
                throw ValidationError("no write succeeded within \(Self.maxWriteResumeSeconds) s of killing \(victims)")
            }
        }
        let resume = ContinuousClock.now - killedAt
        return (await unlocks, resume)
    }

    static func ms(_ duration: Duration) -> String { "\(Int((duration.seconds * 1_000).rounded())) ms" }

    private func addresses(_ cluster: NamespaceCluster) -> [(address: String, region: String)] {
        cluster.members.map { ($0.clientAddress, $0.region) }
    }
}
