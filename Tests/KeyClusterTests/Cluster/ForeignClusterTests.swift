import Foundation
import KeyCluster
import TestSupport
import Testing

/// Issue 13, item 5: members of different clusters never exchange Raft messages. A data directory prepared
/// from a backup is a new cluster (a new id); seeding one member of a running cluster from a backup is refused
/// by `restore`, and if it is done anyway (the peers were down at the time) the member's peers drop its frames
/// and it stops with the reason instead of following a leader from another state.
@Suite("Members of different clusters never mix", .serialized)
struct ForeignClusterTests {
    @Test(
        "restore refuses to seed a member of a running cluster; a member holding another cluster's state is refused by its peers and stops with the reason; the cluster goes on"
    )
    func foreignMember() async throws {
        try await TemporaryDirectory.with("foreign") { scratch in
            let backup = scratch.appending("cluster.kcbackup")
            try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
                let leader = try await cluster.waitForLeader()
                let ours = try #require(try await cluster.status(leader).clusterID)
                for id in cluster.ids {
                    #expect(try await cluster.status(id).clusterID == ours, "member \(id) names the cluster's id")
                }
                try await cluster.put("before", "1", via: leader)
                let ops = try cluster.layout.issueOperator(name: "backup-ops")
                let taken = try await runKeyCluster(
                    [
                        "backup", "--config", cluster.layout.configurationPath(of: leader), "--member", "\(leader)",
                        "--operator-cert", ops.certificate, "--operator-key", ops.privateKey, "--output", backup,
                    ],
                    logFile: scratch.appending("backup.log"))
                #expect(
                    taken.status == 0 && taken.output.contains("cluster \(ours)") && taken.output.contains("sha256 "),
                    "\(taken.output)")

                // Seeding member 2 of the running cluster from the backup: refused while the others answer.
                let victim = try #require(cluster.ids.first { $0 != leader })
                let victimConfiguration = try #require(cluster.configurations.first { $0.id == victim })
                cluster.kill(victim)
                let original = victimConfiguration.dataDirectory
                try FileManager.default.moveItem(atPath: original, toPath: original + ".kept")
                let refused = try await runKeyCluster(
                    ["restore", "--backup", backup, "--config", cluster.layout.configurationPath(of: victim)],
                    logFile: scratch.appending("restore.log"))
                #expect(
                    refused.status != 0 && refused.output.contains("restore refused")
                        && refused.output.contains("answer"), "\(refused.output)")

                // Done anyway, as an operator would while the peers were down: the member's state is a new cluster's.
                let restored = try ClusterBackup.restore(from: backup, configuration: victimConfiguration)
                #expect("\(restored.clusterID)" != ours && "\(restored.sourceClusterID)" == ours)
                try cluster.start(victim)
                try await waitUntil("the foreign member stops by itself", deadlineSeconds: 30) {
                    !cluster.running.contains(victim)
                }
                let ended = try #require(cluster.kill(victim))
                #expect(ended != .exited(0), "it stops with a failure status: \(ended)")
                let log = (try? String(contentsOfFile: cluster.logPath(of: victim), encoding: .utf8)) ?? ""
                #expect(log.contains("another cluster's state"), "it says why")

                // Its peers dropped its frames (and say so), and the cluster goes on without it.
                for id in cluster.ids where id != victim {
                    try await waitUntil("member \(id) counts the foreign frames", deadlineSeconds: 10) {
                        guard let metrics = try? await cluster.client(id).text("/metrics") else { return false }
                        return (metricSample(metrics, "keycluster_peer_foreign_cluster_frames_total") ?? 0) > 0
                    }
                }
                let during = try await cluster.put("during", "1", via: try await cluster.waitForLeader())

                // Its own data back: the member rejoins its cluster and catches up.
                try FileManager.default.removeItem(atPath: original)
                try FileManager.default.moveItem(atPath: original + ".kept", toPath: original)
                try cluster.start(victim)
                try await cluster.waitForApplied(during)
                #expect(try await cluster.value("during", on: victim) == "1")
                #expect(try await cluster.status(victim).clusterID == ours)
            }
        }
    }
}
