import AsyncHTTPClient
import Foundation
import KeyCluster
import KeyClusterTooling

/// One outage replay on a running local cluster: the setup (a vehicle, its owner, guest keys, the measured
/// capacity), then the storm with its faults and revocations, then the report.
struct OutageRun {
    static let vin = "5YJ3E1EA7KF317017"
    /// Guest keys revoked during the storm (issue 17: "20 guest keys are revoked").
    static let revocableGuests = 20
    /// Guest keys that stay valid; with the owner's, they carry most of the load.
    static let stableGuests = 8
    /// Guests' grants end this long after the setup (a guest grant must expire).
    static let guestValiditySeconds: Int64 = 86_400
    /// Clients of the closed-loop capacity measurement.
    static let capacityClients = 64
    /// Connections the users' HTTP client opens to one member at most (requests beyond wait for one).
    static let userConnectionsPerMember = StormUsers.maxInFlightPerMember
    /// Seconds of each key's expected requests kept signed ahead, and the allowance for retries in it.
    static let signedLeadSeconds = 2.0
    static let retryAllowance = 2.0
    /// Time between the storm's setup and its first arrival, for the signing pools to fill.
    static let storeStartDelay = Duration.milliseconds(500)

    let cluster: LocalClusterProcesses
    let members: Int
    let phase: Duration
    let freeze: Duration
    let demandPercent: Double
    let capacityPerSecond: Double?
    let capacitySeconds: Int
    let progress: Progress

    func run() async throws -> OutageReport {
        _ = try await cluster.waitForLeader()
        let addresses = cluster.ids.map { cluster.client($0).address }
        return try await withBenchClients(cluster, maxConnectionsPerMember: Self.userConnectionsPerMember) {
            operatorHTTP, http in
            try await measure(addresses: addresses, operatorHTTP: operatorHTTP, http: http)
        }
    }

    private func measure(addresses: [String], operatorHTTP: HTTPClient, http: HTTPClient) async throws -> OutageReport {
        let vin = try VIN(validating: Self.vin)
        let owner = KeyHolder()
        let stable = (0..<Self.stableGuests).map { _ in KeyHolder() }
        let revocable = (0..<Self.revocableGuests).map { _ in KeyHolder() }
        let enrolment = ClusterClient(addresses: addresses.map { ($0, "") }, preferredRegion: nil, http: operatorHTTP)
        let phone = ClusterClient(addresses: addresses.map { ($0, "") }, preferredRegion: nil, http: http)
        var revision = try await enrolment.registerVehicle(vin, owner: owner.publicKey).revision
        let notAfter = WallClock.nowUnixMs() + Self.guestValiditySeconds * 1_000
        for guest in stable + revocable {
            revision = try await phone.grant(
                guest.publicKey, role: .guest, on: vin, signedBy: owner, notAfterUnixMs: notAfter
            ).revision
        }
        try await cluster.waitForApplied(revision)
        progress.say(
            "vehicle \(vin.text): owner, \(Self.stableGuests) guests that stay, \(Self.revocableGuests) guests to revoke"
        )

        let (capacity, capacityCPU) = try await capacity(vin: vin, owner: owner, addresses: addresses, http: http)
        let arrivals = capacity * demandPercent / 100
        progress.say(
            String(
                format: "capacity C = %.0f strict unlocks/s; users arrive at %.0f/s (%.0f %% of C)", capacity, arrivals,
                demandPercent))

        let holders = [owner] + stable + revocable
        let stableKeys = Array(0...Self.stableGuests)
        let revocableKeys = Array(stableKeys.count..<holders.count)
        let perStable = arrivals * (1 - StormUsers.revocableKeyShare) / Double(stableKeys.count)
        let perRevocable = arrivals * StormUsers.revocableKeyShare / Double(revocableKeys.count)
        let targets = holders.indices.map { key in
            Int(
                ((key < stableKeys.count ? perStable : perRevocable) * Self.signedLeadSeconds * Self.retryAllowance)
                    .rounded(.up))
        }
        let signed = RollingSignedUnlocks(vin: vin, holders: holders, targets: targets)
        signed.refill()

        let clock = StormClock(start: .now + Self.storeStartDelay, length: phase * StormFaults.phases)
        let recorder = StormRecorder(clock: clock)
        let maxStaleness = cluster.configurations[0].effectiveMaxStaleness
        let ledger = RevocationLedger(maxStaleness: maxStaleness)
        let watch = ClusterWatch(cluster: cluster, clock: clock)
        let faults = StormFaults(cluster: cluster, watch: watch, phase: phase, freeze: freeze, progress: progress)
        let users = StormUsers(
            members: addresses, signed: signed, revocableKeys: revocableKeys, stableKeys: stableKeys, http: http,
            recorder: recorder,
            ledger: ledger, inFlight: InFlightCounts(members: addresses.count))
        let revoker = StormRevocations(
            vin: vin, owner: owner, holders: holders, members: addresses, http: http, recorder: recorder, ledger: ledger
        )
        let schedule = StormRevocations.schedule(
            keys: revocableKeys, faultSeconds: faults.faultSeconds, runSeconds: clock.length.seconds)
        let sampler = WindowSampler(watch: watch)

        let generatorStart = CPUMeter.selfSeconds()
        let watching = Task { await watch.watch(until: clock.end + .seconds(StormFaults.maxCatchUpSeconds)) }
        async let sampling: Void = sampler.run()
        async let refilling: Void = signed.keepRefilled(until: clock.end)
        async let faultReport = faults.run()
        async let revocations = revoker.run(schedule)
        await users.run(perSecond: arrivals)
        let (faultsDone, revocationsDone) = await (faultReport, revocations)
        let generatorSeconds = CPUMeter.selfSeconds() - generatorStart
        await sampling
        await refilling
        // The drain window ends here: every attempt and revoke has ended.
        sampler.sampleNow()
        watch.checkForCrashes()
        watching.cancel()
        await watching.value

        var report = OutageReport.assemble(
            setup: .init(
                members: members, regions: localRegions(members: members), phaseSeconds: Int(phase.seconds),
                freezeSeconds: Int(freeze.seconds), demandPercent: demandPercent, capacityPerSecond: capacity,
                capacityMeasured: capacityPerSecond == nil, capacityServerCPUMicrosecondsPerUnlock: capacityCPU,
                userArrivalsPerSecond: arrivals, maxStalenessMilliseconds: Int(maxStaleness.seconds * 1_000),
                stableKeys: stableKeys.count, revocableKeys: revocableKeys.count,
                successWindowSeconds: Int(StormUsers.successWindow.seconds), naiveMaxRetries: StormUsers.naiveMaxRetries
            ),
            recorder: recorder, watch: watch, samples: sampler.samples, ledger: ledger, revocations: revocationsDone,
            faults: faultsDone,
            generator: (generatorSeconds, signed.signedAhead, signed.signedInline))
        report.judge()
        return report
    }

    /// C, and the members' CPU µs per unlock while measuring it: `--capacity-per-second`, or strict unlocks/s
    /// from `capacityClients` closed-loop clients with presigned requests, as `bench unlock` measures.
    private func capacity(vin: VIN, owner: KeyHolder, addresses: [String], http: HTTPClient) async throws -> (
        Double, Double?
    ) {
        if let capacityPerSecond { return (capacityPerSecond, nil) }
        let prepared = try PresignedUnlocks(vin: vin, holder: owner, bounded: false, seconds: capacitySeconds)
        let result = await LoadRun(clients: Self.capacityClients, duration: .seconds(capacitySeconds)).run(
            servers: cluster.pids
        ) { client, _ in
            await prepared.send(to: addresses[client % addresses.count], http: http)
        }
        guard result.succeeded > 0 else {
            throw CLIError(
                "the capacity measurement got no token",
                cause: "\(result.failed) unlocks failed on a cluster with a leader",
                hint: "pass --capacity-per-second to skip the measurement, or look at the members' logs")
        }
        return (result.perSecond, result.serverMicrosecondsPerOperation)
    }
}
