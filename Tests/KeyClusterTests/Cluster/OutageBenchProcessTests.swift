import Foundation
import KeyCluster
import TestSupport
import Testing

/// The reduced outage replay (issue 17 §A.5): `keycluster bench outage` on 3 real member processes with
/// 5 s phases — region kill, leader freeze, region restart — under a small storm, with `--check`. It must
/// finish, issue no token for a key whose revocation was acknowledged, see no member crash, get every
/// revoke acknowledged, and serve tokens in every window of the run.
@Suite("keycluster bench outage (reduced)", .serialized)
struct OutageBenchProcessTests {
    /// The parts of the `--json` report this test reads.
    struct Report: Decodable {
        struct Window: Decodable {
            var startSeconds: Double
            var drain: Bool
            var strictTokens: Int
            var boundedTokens: Int
        }
        struct Revocation: Decodable { var acknowledgedAfterMilliseconds: Double? }
        struct Crash: Decodable { var member: UInt64 }
        struct Event: Decodable { var kind: String }
        struct Faults: Decodable { var events: [Event] }
        var windows: [Window]
        var revocations: [Revocation]
        var lateTokens: Int
        var crashes: [Crash]
        var faults: Faults
    }

    /// The run takes about 40 s (setup, 20 s of storm, drain); past this it is stopped and the test fails.
    static let deadlineSeconds = 150.0
    /// A capacity small enough that two shared cores serve the storm alongside the cluster's own tests.
    static let arguments = [
        "bench", "outage", "--members", "3", "--phase-seconds", "5", "--freeze-seconds", "3", "--capacity-per-second",
        "40",
        "--check", "--json",
    ]

    @Test(
        "a short outage replay issues no late token, crashes nothing, acknowledges every revoke and serves every window"
    )
    func reducedReplay() async throws {
        let bench = try ChildProcess(executable: try KeyClusterBinary.path(), arguments: Self.arguments)
        defer { Self.remove(bench) }
        try await waitUntil("the outage bench to finish", deadlineSeconds: Self.deadlineSeconds) { !bench.isRunning }
        var lines: [String] = []
        for await line in bench.outputLines { lines.append(line) }
        let status = bench.waitUntilExit()
        let output = lines.joined(separator: "\n")
        #expect(status == .exited(0), "bench outage ended \(status): \(output.suffix(2_000))")
        // The report is the one JSON document; a `check failed` line on standard error may come before or after it.
        guard let start = output.firstIndex(of: "{"), let end = output.lastIndex(of: "}") else {
            Issue.record("no JSON report in: \(output.suffix(2_000))")
            return
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(output[start...end].utf8))
        #expect(report.lateTokens == 0)
        #expect(report.crashes.isEmpty, "members crashed: \(report.crashes.map(\.member))")
        #expect(report.revocations.count == 20)
        #expect(
            report.revocations.allSatisfy { $0.acknowledgedAfterMilliseconds != nil }, "a revoke was never acknowledged"
        )
        #expect(
            Set(report.faults.events.map(\.kind)).isSuperset(of: ["kill-region", "freeze", "thaw", "restart-region"]))
        let run = report.windows.filter { !$0.drain }
        #expect(run.count == 4)
        for window in run {
            #expect(
                window.strictTokens + window.boundedTokens > 0, "no token in the window at \(window.startSeconds) s")
        }
    }

    /// Ends the bench and, first, the members it started (its children), should it still run; removes the
    /// cluster directory it would have removed itself.
    static func remove(_ bench: ChildProcess) {
        let pid = bench.process.pid
        if bench.isRunning {
            for child in children(of: pid) { kill(child, SIGKILL) }
            bench.kill()
        }
        try? FileManager.default.removeItem(
            atPath: FileManager.default.temporaryDirectory.path + "/keycluster-local-\(pid)")
    }

    /// Processes whose parent is `pid`, from `/proc/*/stat`.
    static func children(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let candidate = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // After the command name: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? candidate : nil
        }
    }
}
