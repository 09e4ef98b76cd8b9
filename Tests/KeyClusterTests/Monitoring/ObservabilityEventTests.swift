import Foundation
import KeyCluster
import TestSupport
import Testing

/// What an operator sees through a leader kill: requests counted with their real status (errors too), the
/// node's events counted, and log lines — millisecond UTC timestamps, one spelling of `node`, a warning on
/// the members that lost their leader and an info line from the one elected next.
@Suite("Metrics and logs through a leader kill", .serialized)
struct ObservabilityEventTests {
    /// Whether a log line starts `time=2026-12-07T14:11:47.123Z `: ISO-8601, UTC, milliseconds.
    static func hasMillisecondTimestamp(_ line: Substring) -> Bool {
        line.firstMatch(of: #/^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /#) != nil
    }

    @Test(
        "errors are counted by route and status; fsync, commit, elections and leader changes are counted; a leader kill is logged"
    )
    func leaderKillIsObservable() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let leader = try await cluster.waitForLeader()
            try await cluster.waitForApplied(try await cluster.put("observed", via: leader))
            let client = cluster.client(leader)
            // Anonymous requests the member refuses: no route (404), and a vehicle read without a signature.
            _ = try? await client.text("/no/such/route")
            _ = try? await client.text("/v1/vehicles/WVWZZZ1JZXW000001")
            var metrics = ""
            try await waitUntil("the refused requests counted") {
                metrics = try await client.text("/metrics")
                return metricSample(
                    metrics, #"keycluster_http_requests_total{route="unmatched",method="GET",status="404"}"#) == 1
                    && Self.samples(metrics, prefix: #"keycluster_http_requests_total{route="/v1/vehicles/"#).contains {
                        $0.labels.contains(#"status="4"#)
                    }
                    && metricSample(metrics, "keycluster_raft_reachable_voters") == 3
            }
            #expect((metricSample(metrics, #"keycluster_raft_proposals_total{outcome="committed"}"#) ?? 0) >= 1)
            #expect((metricSample(metrics, "keycluster_raft_commit_duration_seconds_count") ?? 0) >= 1)
            #expect((metricSample(metrics, "keycluster_storage_fsync_duration_seconds_count") ?? 0) >= 1)
            #expect((metricSample(metrics, "keycluster_raft_apply_duration_seconds_count") ?? 0) >= 1)
            #expect(
                (metricSample(metrics, "keycluster_raft_elections_started_total") ?? 0) >= 1, "the leader campaigned")
            #expect((metricSample(metrics, "keycluster_raft_leader_changes_total") ?? 0) >= 1)

            cluster.kill(leader)
            let survivors = cluster.running
            let next = try await cluster.waitForLeader(agreedBy: survivors)
            try await waitUntil("survivors counted the second leader") {
                for id in survivors {
                    let view = try await cluster.client(id).text("/metrics")
                    if (metricSample(view, "keycluster_raft_leader_changes_total") ?? 0) < 2 { return false }
                }
                return true
            }
            try await waitUntil("the killed leader's link shows down") {
                let view = try await cluster.client(next).text("/metrics")
                return metricSample(view, #"keycluster_peer_link_up{peer="\#(leader)"}"#) == 0
                    && metricSample(view, "keycluster_raft_reachable_voters") == 2
            }
            try await waitUntil("the new leader logged its election and a follower its lost leader") {
                let logs = survivors.map {
                    (try? String(contentsOfFile: cluster.logPath(of: $0), encoding: .utf8)) ?? ""
                }
                return logs[survivors.firstIndex(of: next) ?? 0].contains("msg=\"became leader\"")
                    && logs.contains { Self.hasWarning($0, "lost the leader") }
                    && logs.allSatisfy { Self.hasWarning($0, "peer=\(leader) msg=\"peer link down") }
            }
            for id in cluster.ids {
                let lines = try String(contentsOfFile: cluster.logPath(of: id), encoding: .utf8).split(separator: "\n")
                    .filter { $0.hasPrefix("time=") }
                #expect(!lines.isEmpty)
                #expect(
                    lines.allSatisfy(Self.hasMillisecondTimestamp),
                    "member \(id): a line without a millisecond timestamp")
                let nodeLabels = Set(lines.flatMap { $0.matches(of: #/node=(\S+)/#).map { String($0.output.1) } })
                #expect(nodeLabels == ["\(id)"], "member \(id) spells its node label \(nodeLabels.sorted())")
            }
        }
    }

    /// Whether `log` has a warning line containing `text`.
    static func hasWarning(_ log: String, _ text: String) -> Bool {
        log.split(separator: "\n").contains { $0.contains(" level=warning ") && $0.contains(text) }
    }

    /// The samples of an exposition whose line starts with `prefix`: their label text and value.
    static func samples(_ metrics: String, prefix: String) -> [(labels: String, value: Double)] {
        metrics.split(separator: "\n").filter { $0.hasPrefix(prefix) }.compactMap { line in
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                return nil
            }
            return (String(line[..<space]), value)
        }
    }
}
