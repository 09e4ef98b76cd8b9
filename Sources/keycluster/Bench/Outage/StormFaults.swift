import Foundation
import KeyCluster
import KeyClusterTooling

/// The seed outage's faults on a timeline scaled by the phase length P (issue 17 Part A): at 1×P every member
/// of the leader's region is killed (SIGKILL), at 2×P the new leader is frozen (SIGSTOP, as a hung machine:
/// no reset reaches its peers) for the freeze length, then resumed (SIGCONT), at 3×P the killed region is
/// started again on its old data; the storm runs until 4×P.
struct StormFaults: Sendable {
    /// The run lasts this many phases.
    static let phases = 4
    /// How long the restarted region may take to catch up before it is reported as not caught up.
    static let maxCatchUpSeconds = 60.0
    /// Interval between two looks at the watch's view while waiting for a leader or a catch-up.
    static let lookIntervalMilliseconds = 50

    struct Event: Encodable, Sendable {
        var atSeconds: Double
        /// `kill-region`, `freeze`, `thaw`, `restart-region`, or `skipped-freeze` (no leader to freeze).
        var kind: String
        var members: [UInt64]
        var region: String?
    }

    struct Report: Encodable, Sendable {
        var events: [Event] = []
        /// From the region's restart to every restarted member having applied the leader's commit index.
        var regionCatchUpSeconds: Double?
    }

    let cluster: LocalClusterProcesses
    let watch: ClusterWatch
    let phase: Duration
    let freeze: Duration
    let progress: Progress

    /// Fault times in seconds from the storm's start (kill, freeze, restart), for the revocation schedule.
    var faultSeconds: [Double] { (1...3).map { Double($0) * phase.seconds } }

    func run() async -> Report {
        var report = Report()
        let clock = watch.clock
        func at(_ phases: Int) async { try? await Task.sleep(until: clock.start + phase * phases, clock: .continuous) }
        func event(_ kind: String, _ members: [UInt64], region: String? = nil) {
            let seconds = clock.seconds(at: .now)
            report.events.append(Event(atSeconds: seconds, kind: kind, members: members, region: region))
            progress.say(
                String(format: "%6.1f s  ", seconds) + "\(kind) \(members.map(String.init).joined(separator: ","))")
        }

        await at(1)
        let leader = await seenLeader(within: phase / 2)
        // With no leader in sight the first member's region is killed: the fault happens either way.
        let region = cluster.region(of: leader ?? cluster.ids[0])
        let victims = cluster.ids.filter { cluster.region(of: $0) == region }
        watch.killed(victims)
        for id in victims { cluster.kill(id) }
        event("kill-region", victims, region: region)

        await at(2)
        if let frozen = await seenLeader(within: phase - freeze) {
            watch.froze(frozen)
            cluster.signal(frozen, SIGSTOP)
            event("freeze", [frozen])
            try? await Task.sleep(for: freeze)
            cluster.signal(frozen, SIGCONT)
            watch.thawed(frozen)
            event("thaw", [frozen])
        } else {
            event("skipped-freeze", [])
        }

        await at(3)
        var started: [UInt64] = []
        for id in victims where (try? cluster.start(id)) != nil { started.append(id) }
        watch.restarted(started)
        event("restart-region", started, region: region)
        let restartedAt = ContinuousClock.now
        while ContinuousClock.now - restartedAt < .seconds(Self.maxCatchUpSeconds), !Task.isCancelled {
            if let leader = watch.currentLeader, let commit = watch.status(of: leader)?.commitIndex,
                started.allSatisfy({
                    (watch.status(of: $0)?.appliedIndex ?? 0) >= commit && watch.status(of: $0)?.leader == leader
                }),
                started.allSatisfy({ watch.status(of: $0)?.term == watch.status(of: leader)?.term })
            {
                report.regionCatchUpSeconds = (ContinuousClock.now - restartedAt).seconds
                progress.say(
                    "region \(region) caught up "
                        + String(format: "%.2f s after its restart", report.regionCatchUpSeconds ?? 0))
                break
            }
            try? await Task.sleep(for: .milliseconds(Self.lookIntervalMilliseconds))
        }
        return report
    }

    /// The leader the watch sees, waiting up to `limit` for one.
    private func seenLeader(within limit: Duration) async -> UInt64? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let leader = watch.currentLeader { return leader }
            try? await Task.sleep(for: .milliseconds(Self.lookIntervalMilliseconds))
        }
        return watch.currentLeader
    }
}
