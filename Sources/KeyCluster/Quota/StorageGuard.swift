import Foundation
import Hummingbird
import Logging
import Prometheus
import RaftCore
import RaftNode
import Storage
import Synchronization

/// Keeps a member inside its storage bounds (`StorageQuota`, design §9): measures the replicated state and
/// the free disk every `checkIntervalMilliseconds`, raises or clears this member's alarms through the log,
/// and refuses capped writes at the door (507) while any alarm stands — the member's own measurement
/// counts at once, before its alarm is even replicated, so a member short of disk never proposes more.
///
/// The authoritative rule is at apply (`ServiceStateMachine`): a capped command meeting a standing alarm is
/// refused there the same way on every member, so a write that slipped past one door changes nothing.
final class StorageGuard: Sendable {
    let quota: StorageQuota
    let memberID: UInt64
    private let dataDirectory: String
    private let node: RaftNode
    private let stateMachine: ServiceStateMachine
    private let logger: Logger
    private let latest = Mutex(Measurement(stateBytes: 0, freeDiskBytes: nil, breaches: []))
    private let gauges: Gauges

    /// One look at this member's storage.
    struct Measurement: Sendable, Equatable {
        var stateBytes: Int
        /// Nil when the file system could not be asked.
        var freeDiskBytes: Int?
        var breaches: Set<StorageAlarm.Kind>
    }

    init(
        quota: StorageQuota, memberID: UInt64, dataDirectory: String, node: RaftNode, stateMachine: ServiceStateMachine,
        registry: PrometheusCollectorRegistry, logger: Logger
    ) {
        self.quota = quota
        self.memberID = memberID
        self.dataDirectory = dataDirectory
        self.node = node
        self.stateMachine = stateMachine
        self.logger = logger
        gauges = Gauges(registry: registry)
    }

    var measurement: Measurement { latest.withLock { $0 } }

    /// The standing alarms as this member has applied them, with its own measured breaches added.
    func alarms() -> Set<StorageAlarm> {
        let standing = (try? node.environment.read { txn in try stateMachine.standingAlarms(in: txn) }) ?? []
        return Set(standing).union(measurement.breaches.map { StorageAlarm(member: memberID, kind: $0) })
    }

    /// The 507 answer for `command` while alarms stand; nil when it may be proposed.
    func refusal(for command: ServiceCommand) -> Problem? {
        guard command.isCappedByStorageAlarms else { return nil }
        let alarms = alarms()
        guard !alarms.isEmpty else { return nil }
        return Self.noSpace(alarms)
    }

    static func noSpace(_ alarms: some Collection<StorageAlarm>) -> Problem {
        Problem(
            "no-space", status: .init(code: 507, reasonPhrase: "Insufficient Storage"),
            title:
                "The cluster takes no new writes until its storage alarms clear; revocations and suspensions still go through",
            detail: alarms.map(\.description).sorted().joined(separator: "; "), retryAfterSeconds: 30)
    }

    /// Measures and reconciles until cancelled.
    func run() async {
        while !Task.isCancelled {
            await check()
            try? await Task.sleep(for: .milliseconds(quota.checkIntervalMilliseconds))
        }
    }

    /// One round: measure, publish, and propose the alarm changes this member's measurement calls for.
    func check() async {
        let measured: Measurement
        do {
            let stateBytes = try node.environment.read { txn in
                try stateMachine.snapshotDatabases.reduce(0) { total, database in
                    total + (try txn.pageBytes(in: database))
                }
            }
            let freeDiskBytes = DiskSpace.availableBytes(at: dataDirectory)
            measured = Measurement(
                stateBytes: stateBytes, freeDiskBytes: freeDiskBytes,
                breaches: quota.breaches(stateBytes: stateBytes, freeDiskBytes: freeDiskBytes))
        } catch {
            logger.warning("could not measure the state's size", metadata: ["error": "\(error)"])
            return
        }
        latest.withLock { $0 = measured }
        let standing = (try? node.environment.read { txn in try stateMachine.standingAlarms(in: txn) }) ?? []
        gauges.publish(measured, standing: standing, outOfSpace: await node.status.outOfSpace != nil)

        let mine = Set(standing.filter { $0.member == memberID }.map(\.kind))
        for kind in measured.breaches.subtracting(mine).sorted(by: { $0.rawValue < $1.rawValue }) {
            let alarm = StorageAlarm(member: memberID, kind: kind)
            logger.warning(
                "storage alarm raised: writes other than revocations are refused cluster-wide",
                metadata: [
                    "alarm": "\(alarm)", "stateBytes": "\(measured.stateBytes)",
                    "freeDiskBytes": "\(measured.freeDiskBytes.map(String.init) ?? "unknown")",
                ])
            await propose(.raise(alarm))
        }
        for kind in mine.subtracting(measured.breaches).sorted(by: { $0.rawValue < $1.rawValue }) {
            let alarm = StorageAlarm(member: memberID, kind: kind)
            logger.notice("storage alarm cleared", metadata: ["alarm": "\(alarm)"])
            await propose(.clear(alarm))
        }
        // A member removed while its alarm stood can no longer clear it: the leader does.
        let membership = await node.membershipStatus
        if membership.leader == membership.id {
            for alarm in standing where !membership.configuration.members.contains(NodeID(alarm.member)) {
                logger.notice("storage alarm of a former member cleared", metadata: ["alarm": "\(alarm)"])
                await propose(.clear(alarm))
            }
        }
    }

    /// Proposes an alarm change; a failure (no leader, overload) is retried by the next round's check.
    private func propose(_ change: StorageAlarmChange) async {
        do {
            _ = try await node.propose(ServiceCommand.storageAlarm(change).encoded())
        } catch {
            logger.debug("alarm change not replicated yet; the next check tries again", metadata: ["error": "\(error)"])
        }
    }

    /// What `/metrics` shows of storage: the measurement, the cluster's standing alarms by kind, and
    /// whether this member's writes are waiting for space.
    private struct Gauges: Sendable {
        let stateBytes: Gauge
        let freeDiskBytes: Gauge
        let alarms: [StorageAlarm.Kind: Gauge]
        let outOfSpace: Gauge

        init(registry: PrometheusCollectorRegistry) {
            stateBytes = registry.makeGauge(
                descriptor: .keycluster(
                    "", "state", unit: "bytes",
                    help: "Pages of the replicated state, in bytes (bounded by quota.maxStateBytes)"))
            freeDiskBytes = registry.makeGauge(
                descriptor: .keycluster(
                    "disk", "free", unit: "bytes", help: "Free bytes on the data directory's file system"))
            alarms = Dictionary(
                uniqueKeysWithValues: StorageAlarm.Kind.allCases.map { kind in
                    (
                        kind,
                        registry.makeGauge(
                            descriptor: .keycluster(
                                "storage", "alarm", unit: "",
                                help:
                                    "Members with this storage alarm standing; while any stands, writes other than revocations get 507"
                            ),
                            labels: [("kind", kind.rawValue)])
                    )
                })
            outOfSpace = registry.makeGauge(
                descriptor: .keycluster(
                    "storage", "out_of_space", unit: "",
                    help: "1 while this member's writes fail for want of space and wait"))
        }

        func publish(_ measurement: Measurement, standing: [StorageAlarm], outOfSpace isOutOfSpace: Bool) {
            stateBytes.set(Double(measurement.stateBytes))
            freeDiskBytes.set(Double(measurement.freeDiskBytes ?? 0))
            for (kind, gauge) in alarms {
                let members = standing.filter { $0.kind == kind }.count
                gauge.set(Double(members))
            }
            outOfSpace.set(isOutOfSpace ? 1.0 : 0.0)
        }
    }
}
