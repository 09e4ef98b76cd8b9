import Foundation
import KeyCluster
import TestSupport
import Testing

/// `Deploy/monitoring/` must stay true to what a member exports: every metric its alert rules and dashboard
/// name is on a running member's `/metrics`, every family there has HELP, counters are counters, and — when
/// promtool is installed — the rules, their unit tests and the exposition pass promtool.
@Suite("Monitoring files against a running member", .serialized)
struct MonitoringFilesTests {
    @Test("alerts.yml passes promtool check rules and its unit tests (skipped without promtool)")
    func alertRulesPassPromtool() async throws {
        guard let promtool = MonitoringFiles.promtool else { return }
        let check = try await Self.run(promtool, ["check", "rules", MonitoringFiles.alertsPath])
        #expect(check.status == 0, "promtool check rules: \(check.output)")
        let tests = try await Self.run(promtool, ["test", "rules", MonitoringFiles.alertTestsPath])
        #expect(tests.status == 0, "promtool test rules: \(tests.output)")
    }

    @Test(
        "every metric alerts.yml and the dashboard name is exported; all families have HELP; /metrics passes promtool check metrics"
    )
    func referencedMetricsAreExported() async throws {
        let referenced = MonitoringFiles.referencedMetricNames(
            in: try String(contentsOfFile: MonitoringFiles.alertsPath, encoding: .utf8)
        )
        .union(
            try MonitoringFiles.dashboardExpressions(
                Data(contentsOf: URL(fileURLWithPath: MonitoringFiles.dashboardPath))
            )
            .flatMap(MonitoringFiles.referencedMetricNames))
        #expect(referenced.count > 20, "the files name the metrics they use: \(referenced.sorted())")
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let leader = try await cluster.waitForLeader()
            try await cluster.waitForApplied(try await cluster.put("watched", via: leader))
            // Series with labels appear once they have something to count: a request per route is enough,
            // and the leader shows per-peer lag once its gauges refresh with both followers known.
            _ = try await cluster.client(leader).text("/readyz")
            var expositions: [UInt64: String] = [:]
            try await waitUntil("every member's metrics refreshed with its peers") {
                for id in cluster.ids { expositions[id] = try await cluster.client(id).text("/metrics") }
                return expositions.values.allSatisfy { metricSample($0, "keycluster_raft_has_leader") == 1 }
                    && expositions[leader].map { $0.contains("keycluster_raft_peer_lag_entries{") } == true
            }
            let exported = expositions.values.map(MonitoringFiles.exportedNames).reduce(Set()) { $0.union($1) }
            let missing = referenced.subtracting(exported).subtracting(MonitoringFiles.synthesizedByPrometheus)
            #expect(missing.isEmpty, "named by Deploy/monitoring but not exported: \(missing.sorted())")

            let exposition = try #require(expositions[leader])
            let (types, helped) = MonitoringFiles.families(exposition)
            #expect(
                Set(types.keys).subtracting(helped).isEmpty,
                "families without HELP: \(Set(types.keys).subtracting(helped).sorted())")
            let notCounters = types.filter { $0.key.hasSuffix("_total") && $0.value != "counter" }.keys.sorted()
            #expect(notCounters.isEmpty, "_total families that are not counters: \(notCounters)")
            #expect(
                !exposition.contains("hb_request") && !exposition.contains("http_server_request_duration"),
                "Hummingbird's own metrics are gone")

            if let promtool = MonitoringFiles.promtool {
                let file = try TemporaryDirectory("metrics")
                defer { file.remove() }
                let path = file.path + "/metrics.txt"
                try exposition.write(toFile: path, atomically: true, encoding: .utf8)
                let check = try await Self.run("/bin/sh", ["-c", "exec \"$0\" check metrics < \"$1\"", promtool, path])
                #expect(check.status == 0 && check.output.isEmpty, "promtool check metrics: \(check.output)")
            }
        }
    }

    /// Runs `executable` to its end; its exit status and output (standard output and error).
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable: executable, arguments: arguments)
        var lines: [String] = []
        for await line in child.outputLines { lines.append(line) }
        return (child.waitUntilExit().status, lines.joined(separator: "\n"))
    }
}
