import AsyncHTTPClient
import Foundation
import KeyCluster
import KeyClusterTooling

/// The steps of `bench scale` on a running cluster, in order: load the baseline and measure unlocks there,
/// load the rest, measure unlocks and the members' footprint at full size, then the operations whose cost
/// grows with the state — a snapshot, an online backup, a crashed member's restart, a new learner.
struct ScaleRun {
    let cluster: LocalClusterProcesses
    let fleet: ScaleFleet
    let operatorHTTP: HTTPClient
    let http: HTTPClient
    let progress: Progress
    let unlockClients: Int
    let unlockSeconds: Int

    func measure(loader: ScaleLoader, vehicles: Int, baselineVehicles: Int, totalGrants: Int) async throws
        -> ScaleReport
    {
        progress.say("scale: loading the baseline, \(baselineVehicles * fleet.keysPerVehicle) grants")
        let baselineLoad = try await loader.load(0..<baselineVehicles, grantsBefore: 0, totalGrants: totalGrants)
        let baseline = try await unlocks(vehicles: baselineVehicles, grants: baselineLoad.grants)
        let baselineFootprint = footprint()

        progress.say("scale: loading the fleet, \(totalGrants) grants in all")
        let load = try await loader.load(
            baselineVehicles..<vehicles, grantsBefore: baselineLoad.grants, totalGrants: totalGrants)
        progress.say(
            "scale: loaded \(baselineLoad.grants + load.grants) grants in \(Int(load.elapsed.seconds)) s (\(load.failed) failed)"
        )
        try await cluster.waitForCatchUp()
        try await waitForSnapshotsToSettle()
        let atScale = try await unlocks(vehicles: vehicles, grants: baselineLoad.grants + load.grants)
        let scaleFootprint = footprint()

        let snapshot = try await lastSnapshot()
        let backup = try await timedBackup()
        let restart = try await restartFollower()
        let learner = try await addLearner()
        var report = ScaleReport(
            grantsLoaded: baselineLoad.grants + load.grants, failedGrants: baselineLoad.failed + load.failed,
            loadSeconds: load.elapsed.seconds, loadGrantsPerSecond: load.grantsPerSecond,
            baseline: baseline, atScale: atScale, baselineMembers: baselineFootprint, members: scaleFootprint,
            snapshot: snapshot, backup: backup, restart: restart, learner: learner)
        report.targets = report.judged()
        return report
    }

    /// Strict and bounded unlock runs spread over the first `vehicles` vehicles' keys.
    private func unlocks(vehicles: Int, grants: Int) async throws -> ScaleReport.Unlocks {
        let targets = try fleet.unlockTargets(
            vehicles: vehicles, count: min(grants, ScaleBenchCommand.maxUnlockTargets))
        let members = cluster.ids.map { cluster.client($0).address }
        var results: [LoadRun.Result] = []
        for bounded in [false, true] {
            let prepared = try PresignedUnlocks(targets: targets, bounded: bounded, seconds: unlockSeconds)
            let result = await LoadRun(clients: unlockClients, duration: .seconds(unlockSeconds)).run(
                servers: cluster.pids
            ) { client, _ in
                await prepared.send(to: members[client % members.count], http: http)
            }
            progress.say(
                "scale: at \(grants) grants, \(bounded ? "bounded" : "strict") unlocks \(Int(result.perSecond))/s, p50 "
                    + String(format: "%.1f", result.percentile(0.5).seconds * 1_000) + " ms, p99 "
                    + String(format: "%.1f", result.percentile(0.99).seconds * 1_000) + " ms (\(result.failed) failed)")
            results.append(result)
        }
        return ScaleReport.Unlocks(
            grants: grants, targets: targets.count, strict: results[0].summary, bounded: results[1].summary)
    }

    /// Steady state before measuring: a snapshot the load's last entries started may still be writing the
    /// whole state (seconds at full size), which would be measured as unlock latency. Waits until no member
    /// has taken another for `quietSeconds`.
    private func waitForSnapshotsToSettle() async throws {
        var last: [Int] = []
        var quietSince = ContinuousClock.now
        try await waitFor("snapshots settle") {
            var taken: [Int] = []
            for id in cluster.ids { taken.append((try? await cluster.status(id))?.snapshotsTaken ?? -1) }
            if taken != last {
                last = taken
                quietSince = .now
            }
            return ContinuousClock.now - quietSince >= .seconds(Self.quietSeconds)
        }
    }

    static let quietSeconds = 5

    private func footprint() -> [ScaleReport.Member] {
        cluster.ids.compactMap { id in
            guard let pid = cluster.pid(of: id), let directory = cluster.dataDirectory(of: id) else { return nil }
            let resident = MemberFootprint.resident(pid)
            return ScaleReport.Member(
                id: id, residentBytes: resident?.total ?? 0, anonymousBytes: resident?.anonymous ?? 0,
                fileBytes: resident?.file ?? 0,
                lmdbBytes: MemberFootprint.lmdbBytes(under: directory))
        }
    }

    /// The newest snapshot the members took while loading (the threshold is in entries, so a large load
    /// has taken several; the last is at full size).
    private func lastSnapshot() async throws -> ScaleReport.Snapshot? {
        var newest: ScaleReport.Snapshot?
        for id in cluster.ids {
            let status = try await cluster.status(id)
            guard let bytes = status.lastSnapshotBytes, let milliseconds = status.lastSnapshotMilliseconds else {
                continue
            }
            if bytes > newest?.bytes ?? -1 {
                newest = .init(member: id, bytes: bytes, milliseconds: milliseconds, taken: status.snapshotsTaken ?? 0)
            }
        }
        return newest
    }

    private func timedBackup() async throws -> ScaleReport.Backup {
        let leader = try await cluster.waitForLeader()
        let path = cluster.layout.directory + "/scale-backup.kcb"
        progress.say("scale: taking an online backup from member \(leader)")
        let start = ContinuousClock.now
        let contents = try await ClusterBackup.download(
            from: cluster.client(leader).address, http: operatorHTTP, to: path)
        let seconds = (ContinuousClock.now - start).seconds
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        try? FileManager.default.removeItem(atPath: path)
        return .init(bytes: bytes, seconds: seconds, revision: contents.appliedIndex)
    }

    /// SIGKILLs a follower (a crash: no clean shutdown), starts it again and times it to ready (`/readyz`)
    /// and to caught up with the leader.
    private func restartFollower() async throws -> ScaleReport.Restart {
        let leader = try await cluster.waitForLeader()
        guard let follower = cluster.ids.first(where: { $0 != leader }) else { preconditionFailure("3 members") }
        progress.say("scale: killing member \(follower) (SIGKILL) and starting it again")
        cluster.kill(follower, signal: SIGKILL)
        let start = ContinuousClock.now
        try cluster.start(follower)
        let member = cluster.client(follower)
        try await waitFor("member \(follower) ready") { (try? await member.text("/readyz")) != nil }
        let ready = (ContinuousClock.now - start).seconds
        let target = try await cluster.status(leader).commitIndex
        try await waitFor("member \(follower) caught up") {
            ((try? await cluster.status(follower))?.appliedIndex ?? 0) >= target
        }
        return .init(member: follower, readySeconds: ready, caughtUpSeconds: (ContinuousClock.now - start).seconds)
    }

    /// Lays out and starts a new member, adds it as a learner and times it until the leader sees it caught
    /// up; it must have installed a snapshot (the log was compacted long before).
    private func addLearner() async throws -> ScaleReport.Learner {
        let id = try cluster.addJoiningMember(region: "eu-west")
        guard let member = cluster.member(id) else { preconditionFailure("just laid out") }
        try cluster.start(id)
        try await waitFor("member \(id) serves /healthz") { (try? await cluster.client(id).text("/healthz")) != nil }
        let session = MembershipSession(
            http: operatorHTTP, addresses: cluster.ids.filter { $0 != id }.map { cluster.client($0).address })
        let body =
            "{\"id\":\(id),\"region\":\"\(member.region)\",\"peerAddress\":\"\(member.peerAddress)\",\"clientAddress\":\"\(member.clientAddress)\"}"
        progress.say("scale: adding member \(id) as a learner")
        let start = ContinuousClock.now
        _ = try await session.change(
            "/v1/cluster/members", body: Array(body.utf8), inEffect: MembershipSession.includes(id))
        try await waitFor("learner \(id) caught up") {
            guard let list = try? await session.listFromLeader(), list.leader == list.servedBy,
                let lag = list.members.first(where: { $0.id == id })?.lagEntries
            else { return false }
            return lag <= ScaleBenchCommand.caughtUpLagEntries
        }
        let seconds = (ContinuousClock.now - start).seconds
        let installed = (try? await cluster.status(id))?.snapshotsInstalled ?? 0
        return .init(member: id, caughtUpSeconds: seconds, snapshotsInstalled: installed)
    }

    private func waitFor(_ what: String, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(ScaleBenchCommand.memberWaitSeconds)
        while await !condition() {
            guard ContinuousClock.now < deadline else {
                throw CLIError("\(what): not within \(Int(ScaleBenchCommand.memberWaitSeconds)) s")
            }
            try await Task.sleep(for: .milliseconds(LocalClusterProcesses.pollIntervalMilliseconds))
        }
    }
}
