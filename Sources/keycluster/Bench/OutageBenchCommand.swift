import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster bench outage`: the seed outage replayed on a local cluster (issue 17 Part A item 5).
///
/// The seed outage lasted hours partly because every phone retried. This bench measures the cluster's
/// strict-unlock capacity C, then runs a storm of user arrivals at a share of C — half naive apps that retry
/// at once, half that back off — while the leader's region is killed, the new leader frozen, and the region
/// restarted, and the owner revokes 20 guest keys that users keep trying. It reports, per 5 s window, what
/// was offered, what was served, how many people got in within 10 s, how fast revocations were acknowledged,
/// and any token issued for a key whose revocation had been acknowledged — the one answer that must never
/// happen. The bench reports and does not assert; `--check` makes late tokens or crashes an exit status.
struct OutageBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outage",
        abstract:
            "Replay the seed outage: a retry storm with region kill, leader freeze and region restart, revocations under load.",
        discussion: """
            Timeline (P = --phase-seconds): at 1×P every member of the leader's region is killed (SIGKILL), at 2×P \
            the new leader is frozen (SIGSTOP) for --freeze-seconds, at 3×P the killed region restarts, the storm \
            ends at 4×P. Targets (issue 17): ≥ 99.9 % of user attempts get a token within 10 s; goodput ≥ 80 % of \
            what users ask (where C can serve it) in every window with a quorum; revoke p99 ≤ 1 s; 0 late tokens; \
            0 crashes. Exit 0 with "not met" rows when targets are missed; non-zero when the run could not be made.
            """
    )

    /// Regions as the issue names them: 3 members 1-1-1, 5 members 2-2-1.
    @Option(help: "Members of the local cluster: 3 (one per region) or 5 (2-2-1).")
    var members = 3

    /// Why a flag and not the default: the bench measures; a CI job decides what fails it.
    @Flag(help: "Exit 1 if any late token was issued or any member crashed.")
    var check = false

    /// Short runs (the test's) skip the measurement: a few seconds of closed-loop load would dominate them.
    @Option(help: "Use this strict-unlock capacity (unlocks/s) instead of measuring it.")
    var capacityPerSecond: Double?

    @Option(help: "Seconds the capacity measurement runs (closed loop, 64 clients).")
    var capacitySeconds = 5

    /// Users ask for a share of C: the amplification by naive retries is the bench's subject, not raw overload.
    @Option(help: "User arrivals as a percentage of the capacity (retries come on top).")
    var demandPercent = 50.0

    @Option(help: "Seconds per phase: faults at 1×, 2× and 3× this, end at 4×.")
    var phaseSeconds = 20

    @Option(help: "Seconds the new leader stays frozen (SIGSTOP) from 2× the phase; less than a phase.")
    var freezeSeconds = 8

    @OptionGroup var output: BenchOutput

    /// A phase must hold a leader election and a few windows of load.
    static let minPhaseSeconds = 2

    func validate() throws {
        guard [3, 5].contains(members) else { throw ValidationError("--members must be 3 or 5") }
        guard phaseSeconds >= Self.minPhaseSeconds else {
            throw ValidationError("--phase-seconds must be at least \(Self.minPhaseSeconds)")
        }
        guard freezeSeconds > 0, freezeSeconds < phaseSeconds else {
            throw ValidationError("--freeze-seconds must be positive and less than --phase-seconds")
        }
        guard demandPercent > 0, demandPercent <= 10_000 else {
            throw ValidationError("--demand-percent must be in (0, 10000]")
        }
        guard capacityPerSecond.map({ $0 > 0 }) ?? true else {
            throw ValidationError("--capacity-per-second must be positive")
        }
        guard capacitySeconds > 0 else { throw ValidationError("--capacity-seconds must be positive") }
    }

    func run() async throws {
        let report = try await withLocalCluster(
            regions: localRegions(members: members), timing: .init(), admission: benchmarkAdmission
        ) { cluster in
            try await OutageRun(
                cluster: cluster, members: members, phase: .seconds(phaseSeconds), freeze: .seconds(freezeSeconds),
                demandPercent: demandPercent, capacityPerSecond: capacityPerSecond, capacitySeconds: capacitySeconds,
                progress: output.progress
            ).run()
        }
        try output.emit(report) { report.printMarkdown() }
        if check, report.lateTokens > 0 || !report.crashes.isEmpty {
            FileHandle.standardError.write(
                Data("check failed: \(report.lateTokens) late tokens, \(report.crashes.count) crashes\n".utf8))
            throw ExitCode(1)
        }
    }
}
