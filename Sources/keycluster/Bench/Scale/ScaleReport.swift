import Foundation

/// What `bench scale` measured, and the issue's targets judged from it.
struct ScaleReport: Encodable {
    struct Unlocks: Encodable {
        var grants: Int
        /// (vehicle, key) pairs the runs spread over.
        var targets: Int
        var strict: LoadRun.Result.Summary
        var bounded: LoadRun.Result.Summary
    }

    struct Member: Encodable {
        var id: UInt64
        var residentBytes: Int
        /// The member's own allocations (RssAnon): what the memory target is about.
        var anonymousBytes: Int
        /// Mapped file pages (RssFile): LMDB's map, reclaimable by the kernel.
        var fileBytes: Int
        var lmdbBytes: Int
    }

    struct Snapshot: Encodable {
        var member: UInt64
        var bytes: Int
        var milliseconds: Int64
        /// Snapshots that member took during the run.
        var taken: Int
    }

    struct Backup: Encodable {
        var bytes: Int
        var seconds: Double
        var revision: UInt64
    }

    struct Restart: Encodable {
        var member: UInt64
        var readySeconds: Double
        var caughtUpSeconds: Double
    }

    struct Learner: Encodable {
        var member: UInt64
        var caughtUpSeconds: Double
        var snapshotsInstalled: Int
    }

    struct Target: Encodable {
        var name: String
        var target: String
        var measured: String
        var met: Bool
    }

    var grantsLoaded: Int
    var failedGrants: Int
    var loadSeconds: Double
    var loadGrantsPerSecond: Double
    var baseline: Unlocks
    var atScale: Unlocks
    var baselineMembers: [Member]
    var members: [Member]
    var snapshot: Snapshot?
    var backup: Backup
    var restart: Restart
    var learner: Learner
    /// The issue's targets judged from the rest (`judged()`), stored so the JSON carries them.
    var targets: [Target] = []

    /// The issue's targets: p99 at full size within 1.2x of the baseline's, ≤ 1 GiB resident per member
    /// (its own memory, RssAnon: LMDB's mapped file pages are the page cache, which the kernel reclaims),
    /// a learner caught up within 60 s, a restart within 10 s.
    static let maxP99Ratio = 1.2
    static let maxResidentBytes = 1 << 30
    static let maxCatchUpSeconds = 60.0
    static let maxRestartSeconds = 10.0

    func judged() -> [Target] {
        func ratio(_ scale: Double, _ base: Double) -> Double { scale / max(base, 0.001) }
        let strict = ratio(atScale.strict.p99Milliseconds, baseline.strict.p99Milliseconds)
        let bounded = ratio(atScale.bounded.p99Milliseconds, baseline.bounded.p99Milliseconds)
        let resident = members.map(\.anonymousBytes).max() ?? 0
        return [
            Target(
                name: "strict unlock p99, full ÷ baseline", target: "≤ \(Self.maxP99Ratio)×",
                measured: String(format: "%.2f×", strict), met: strict <= Self.maxP99Ratio),
            Target(
                name: "bounded unlock p99, full ÷ baseline", target: "≤ \(Self.maxP99Ratio)×",
                measured: String(format: "%.2f×", bounded), met: bounded <= Self.maxP99Ratio),
            Target(
                name: "resident memory (anonymous), largest member", target: "≤ 1 GiB", measured: mebibytes(resident),
                met: resident <= Self.maxResidentBytes),
            Target(
                name: "new learner caught up", target: "≤ \(Int(Self.maxCatchUpSeconds)) s",
                measured: String(format: "%.1f s", learner.caughtUpSeconds),
                met: learner.caughtUpSeconds <= Self.maxCatchUpSeconds),
            Target(
                name: "crashed member ready again", target: "≤ \(Int(Self.maxRestartSeconds)) s",
                measured: String(format: "%.1f s", restart.readySeconds),
                met: restart.readySeconds <= Self.maxRestartSeconds),
        ]
    }

    func printMarkdown() {
        print(
            "Loaded \(grantsLoaded) grants (\(failedGrants) failed) through Raft: \(Int(loadGrantsPerSecond)) grants/s over \(Int(loadSeconds)) s."
        )
        print("")
        print("| grants | unlock targets | strict /s | strict p50 / p99 ms | bounded /s | bounded p50 / p99 ms |")
        print("|---|---|---|---|---|---|")
        for level in [baseline, atScale] {
            print(
                "| \(level.grants) | \(level.targets) | \(Int(level.strict.perSecond)) | \(milliseconds(level.strict)) | \(Int(level.bounded.perSecond)) | \(milliseconds(level.bounded)) |"
            )
        }
        print("")
        print(
            "| member | RSS (baseline → full) | of it anonymous (→ full) | of it mapped file (→ full) | LMDB file (baseline → full) |"
        )
        print("|---|---|---|---|---|")
        for member in members {
            let before = baselineMembers.first { $0.id == member.id }
            func change(_ value: KeyPath<Member, Int>) -> String {
                "\(before.map { mebibytes($0[keyPath: value]) } ?? "-") → \(mebibytes(member[keyPath: value]))"
            }
            print(
                "| \(member.id) | \(change(\.residentBytes)) | \(change(\.anonymousBytes)) | \(change(\.fileBytes)) | \(change(\.lmdbBytes)) |"
            )
        }
        print("")
        print("| operation at full size | measured |")
        print("|---|---|")
        if let snapshot {
            print(
                "| snapshot (newest, member \(snapshot.member), \(snapshot.taken) taken in the run) | \(mebibytes(snapshot.bytes)), written in \(snapshot.milliseconds) ms |"
            )
        }
        print("| online backup | \(mebibytes(backup.bytes)) in \(String(format: "%.1f", backup.seconds)) s |")
        print(
            "| member \(restart.member) after SIGKILL | ready in \(String(format: "%.1f", restart.readySeconds)) s, caught up in \(String(format: "%.1f", restart.caughtUpSeconds)) s |"
        )
        print(
            "| new learner \(learner.member) | caught up in \(String(format: "%.1f", learner.caughtUpSeconds)) s (\(learner.snapshotsInstalled) snapshot installed) |"
        )
        print("")
        print("| target | wanted | measured | met |")
        print("|---|---|---|---|")
        for target in targets {
            print("| \(target.name) | \(target.target) | \(target.measured) | \(target.met ? "yes" : "**no**") |")
        }
    }

    private func milliseconds(_ summary: LoadRun.Result.Summary) -> String {
        String(format: "%.1f / %.1f", summary.p50Milliseconds, summary.p99Milliseconds)
    }

    private func mebibytes(_ bytes: Int) -> String { String(format: "%.0f MiB", Double(bytes) / 1_048_576) }
}
