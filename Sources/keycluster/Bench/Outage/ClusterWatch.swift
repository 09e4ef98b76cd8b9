import Foundation
import KeyCluster
import KeyClusterTooling
import Synchronization

/// The bench's view of the members during the storm: which it killed or froze (so an exit it did not cause
/// is a crash), what each member last said of itself (`/v1/cluster/status`, polled per member so a frozen
/// one delays nobody else), every (term, leader) pair any member reported and when it was first seen, and
/// each member's memory and CPU at window boundaries.
final class ClusterWatch: Sendable {
    /// Interval between two status polls of one member.
    static let pollIntervalMilliseconds = 250

    struct LeaderSeen: Encodable, Sendable {
        var term: UInt64
        var leader: UInt64
        var firstSeenAtSeconds: Double
    }

    struct Crash: Encodable, Sendable {
        var member: UInt64
        var noticedAtSeconds: Double
    }

    /// One member at a window boundary.
    struct MemberSample: Sendable {
        var rssKiB: Int?
        var cpuSeconds: Double?
    }

    private struct State {
        var killed: Set<UInt64> = []
        var frozen: Set<UInt64> = []
        /// (seconds from the start, members neither killed nor frozen) at each change.
        var availability: [(Double, Int)] = []
        var statuses: [UInt64: ClusterStatusResponse] = [:]
        var leaders: [LeaderSeen] = []
        var crashes: [Crash] = []
    }

    let cluster: LocalClusterProcesses
    let clock: StormClock
    private let state: Mutex<State>

    init(cluster: LocalClusterProcesses, clock: StormClock) {
        self.cluster = cluster
        self.clock = clock
        state = Mutex(State(availability: [(0, cluster.ids.count)]))
    }

    /// A majority of the members laid out.
    var quorum: Int { cluster.ids.count / 2 + 1 }

    /// Their last statuses are forgotten, so a restarted member is judged on what it says after its restart.
    func killed(_ ids: [UInt64]) {
        change { state in
            state.killed.formUnion(ids)
            for id in ids { state.statuses[id] = nil }
        }
    }
    func restarted(_ ids: [UInt64]) { change { $0.killed.subtract(ids) } }
    func froze(_ id: UInt64) { change { $0.frozen.insert(id) } }
    func thawed(_ id: UInt64) { change { $0.frozen.remove(id) } }

    private func change(_ edit: (inout State) -> Void) {
        let seconds = clock.seconds(at: .now)
        state.withLock { state in
            edit(&state)
            state.availability.append((seconds, cluster.ids.count - state.killed.union(state.frozen).count))
        }
    }

    /// Members the bench has not killed or frozen: the ones a status poll can reach.
    var answering: [UInt64] {
        state.withLock { state in cluster.ids.filter { !state.killed.contains($0) && !state.frozen.contains($0) } }
    }

    /// The member that says it leads with the highest term, among those not killed or frozen.
    var currentLeader: UInt64? {
        state.withLock { state in
            state.statuses.values.filter {
                $0.role == "leader" && !state.killed.contains($0.id) && !state.frozen.contains($0.id)
            }
            .max { $0.term < $1.term }?.id
        }
    }

    func status(of id: UInt64) -> ClusterStatusResponse? { state.withLock { $0.statuses[id] } }

    /// Whether a quorum of members was up (neither killed nor frozen) for the whole of [from, to).
    func quorumThroughout(from: Double, to: Double) -> Bool {
        let changes = state.withLock { $0.availability }
        let before = changes.last { $0.0 <= from }?.1 ?? cluster.ids.count
        let within = changes.filter { $0.0 > from && $0.0 < to }.map(\.1)
        return ([before] + within).allSatisfy { $0 >= quorum }
    }

    /// When a quorum of members was up at or after `time` (`time` itself if one was); nil if never again.
    func quorumAvailable(atOrAfter time: Double) -> Double? {
        let changes = state.withLock { $0.availability }
        if (changes.last { $0.0 <= time }?.1 ?? cluster.ids.count) >= quorum { return time }
        return changes.first { $0.0 > time && $0.1 >= quorum }?.0
    }

    var leadersSeen: [LeaderSeen] { state.withLock { $0.leaders } }
    var crashes: [Crash] { state.withLock { $0.crashes } }

    /// Polls every member's status and checks for crashes until `deadline` or cancellation.
    func watch(until deadline: ContinuousClock.Instant) async {
        await withDiscardingTaskGroup { group in
            for id in cluster.ids {
                group.addTask { await self.poll(id, until: deadline) }
            }
            group.addTask {
                while ContinuousClock.now < deadline, !Task.isCancelled {
                    self.checkForCrashes()
                    try? await Task.sleep(for: .milliseconds(Self.pollIntervalMilliseconds))
                }
            }
        }
    }

    private func poll(_ id: UInt64, until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if answering.contains(id), let status = try? await cluster.status(id) {
                record(status)
            }
            try? await Task.sleep(for: .milliseconds(Self.pollIntervalMilliseconds))
        }
    }

    private func record(_ status: ClusterStatusResponse) {
        let seconds = clock.seconds(at: .now)
        state.withLock { state in
            // An answer that left the member before the bench killed it says nothing of the member now.
            guard !state.killed.contains(status.id) else { return }
            state.statuses[status.id] = status
            if let leader = status.leader,
                !state.leaders.contains(where: { $0.term == status.term && $0.leader == leader })
            {
                state.leaders.append(LeaderSeen(term: status.term, leader: leader, firstSeenAtSeconds: seconds))
            }
        }
    }

    /// A member the bench did not kill that is no longer running has crashed (each is reported once).
    func checkForCrashes() {
        let running = Set(cluster.running)
        let seconds = clock.seconds(at: .now)
        state.withLock { state in
            for id in cluster.ids
            where !state.killed.contains(id) && !running.contains(id)
                && !state.crashes.contains(where: { $0.member == id })
            {
                state.crashes.append(Crash(member: id, noticedAtSeconds: seconds))
            }
        }
    }

    /// Every member's resident memory and CPU time now (nil for members not running).
    func sample() -> [UInt64: MemberSample] {
        Dictionary(
            uniqueKeysWithValues: cluster.ids.map { id in
                let pid = cluster.pid(of: id)
                return (
                    id,
                    MemberSample(
                        rssKiB: pid.flatMap(Self.residentKiB), cpuSeconds: pid.flatMap(CPUMeter.processSeconds))
                )
            })
    }

    /// `VmRSS` of `pid` from `/proc/PID/status`, in KiB.
    static func residentKiB(_ pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Int($0) }
    }
}
