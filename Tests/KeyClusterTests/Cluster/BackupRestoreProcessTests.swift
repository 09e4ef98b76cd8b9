import Foundation
import KeyCluster
import TestSupport
import Testing

/// Runs `keycluster ARGUMENTS` to completion; returns its exit status and everything it printed.
func runKeyCluster(_ arguments: [String], logFile: String) async throws -> (status: Int32, output: String) {
    let child = try ChildProcess(executable: try KeyClusterBinary.path(), arguments: arguments, logFile: logFile)
    try await waitUntil("keycluster \(arguments.first ?? "") exits", deadlineSeconds: 60) { !child.isRunning }
    let status = child.waitUntilExit().status
    let output = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(atPath: logFile)
    return (status, output)
}

@Suite("Backup and restore with real processes", .serialized)
struct BackupRestoreProcessTests {
    @Test(
        "an online backup of a 3-member cluster restores into a new 3-member cluster with every write, and writes go on; damaged backups are refused"
    )
    func backupThenRestoreIntoNewCluster() async throws {
        try await TemporaryDirectory.with("backup") { scratch in
            let backup = scratch.appending("cluster.kcbackup")
            var written: [String: String] = [:]
            var increments: UInt64 = 0
            var backupRevision: UInt64 = 0
            try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"], configure: snapshotEagerly) {
                cluster in
                let leader = try await cluster.waitForLeader()
                for sequence in 1...30 {
                    try await cluster.put("k\(sequence)", "v\(sequence)", via: leader)
                    written["k\(sequence)"] = "v\(sequence)"
                }
                for _ in 1...5 { increments = try await cluster.increment("c", via: leader) }
                backupRevision = try await cluster.status(leader).appliedIndex
                let ops = try cluster.layout.issueOperator(name: "backup-ops")
                let arguments = [
                    "backup", "--config", cluster.layout.configurationPath(of: leader), "--member", "\(leader)",
                    "--operator-cert", ops.certificate, "--operator-key", ops.privateKey, "--output", backup,
                ]
                let run = try await runKeyCluster(arguments, logFile: scratch.appending("backup.log"))
                #expect(run.status == 0, "backup failed: \(run.output)")
                // Without an operator certificate the endpoint refuses.
                await #expect(throws: MemberClient.CallError.self) {
                    _ = try await cluster.client(leader).text("/v1/cluster/backup")
                }
            }
            // Every region is gone (the old cluster's files were removed). A new cluster, new members.
            try await withProcessCluster(regions: ["eu-central", "us-west", "ap-east"], start: false) { cluster in
                let firstConfig = cluster.layout.configurationPath(of: 1)
                let good = try #require(FileManager.default.contents(atPath: backup))
                var flipped = [UInt8](good)
                flipped[flipped.count / 2] ^= 0x10
                for (name, damaged) in [
                    ("truncated", good.prefix(good.count - 5)), ("corrupted", Data(flipped)),
                    ("foreign", Data("PK\u{3}\u{4} not a backup".utf8)),
                ] {
                    let path = scratch.appending(name)
                    #expect(FileManager.default.createFile(atPath: path, contents: damaged))
                    let refused = try await runKeyCluster(
                        ["restore", "--backup", path, "--config", firstConfig],
                        logFile: scratch.appending("restore.log"))
                    #expect(refused.status != 0, "a \(name) backup must be refused")
                    #expect(refused.output.contains("restore refused"), "\(name): \(refused.output)")
                }
                for id in cluster.ids {
                    let run = try await runKeyCluster(
                        ["restore", "--backup", backup, "--config", cluster.layout.configurationPath(of: id)],
                        logFile: scratch.appending("restore.log"))
                    #expect(run.status == 0, "restore of member \(id) failed: \(run.output)")
                }
                let again = try await runKeyCluster(
                    ["restore", "--backup", backup, "--config", firstConfig], logFile: scratch.appending("restore.log"))
                #expect(
                    again.status != 0 && again.output.contains("empty data directory"),
                    "restoring over a member's state must be refused: \(again.output)")

                try cluster.startAll()
                let leader = try await cluster.waitForLeader()
                let revision = try await cluster.put("after-restore", "1", via: leader)
                #expect(revision > backupRevision, "revisions carry on from the backup")
                try await cluster.waitForApplied(revision)
                for member in cluster.ids {
                    for (key, value) in written {
                        #expect(try await cluster.value(key, on: member) == value, "member \(member) lacks \(key)")
                    }
                    #expect(try await cluster.counter("c", on: member) == increments)
                    #expect(try await cluster.value("after-restore", on: member) == "1")
                }
                #expect(try await cluster.increment("c", via: leader) == increments + 1)
            }
        }
    }
}
