import Foundation
import KeyCluster
import KeyClusterTooling
import TestSupport
import Testing

/// The operator guide (Deploy/README.md §1–§2, README "Exit statuses") followed literally against a real
/// 3-member cluster, every step a separate `keycluster` process: the documented commands work, exit statuses
/// say what happened, `--json` answers and errors have the documented shapes, and a degraded or leaderless
/// cluster is reported as such — with the members named — not as a network error with status 0.
@Suite("the operator guide, followed with the CLI", .serialized)
struct OperatorGuideTests {
    struct Status: Decodable {
        struct Member: Decodable {
            var id: UInt64
            var region: String
            var reachable: Bool
        }
        var state: String
        var leader: UInt64?
        var members: [Member]
        var problems: [String]
    }

    struct Members: Decodable {
        struct Member: Decodable {
            var id: UInt64
            var region: String
            var role: String
        }
        var leader: UInt64?
        var members: [Member]
    }

    struct Version: Decodable {
        var version: String
        var swift: String
        var configuration: String
    }

    @Test(
        "status, members add/promote/remove as documented, backups and certificates refuse to overwrite, env defaults; then degraded (4) and no quorum (3) named"
    )
    func guide() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            try await TemporaryDirectory.with("guide") { work in
                try cluster.layout.writeClientDescription(for: cluster.configurations)
                let description = cluster.layout.clientDescriptionPath
                let operatorFiles = cluster.layout.certificates.operatorFiles(named: "admin")
                // Deploy/README §2: the member's own configuration and an operator certificate.
                let ops = [
                    "--config", cluster.layout.configurationPath(of: 1), "--operator-cert", operatorFiles.certificate,
                    "--operator-key", operatorFiles.privateKey,
                ]
                _ = try await cluster.waitForLeader()

                let version = try CLIRun.json(["version"], as: Version.self, in: work)
                #expect(version.version == BuildInfo.version && !version.swift.isEmpty)

                try await waitUntil("cluster status reports healthy (exit 0)") {
                    try CLIRun(["cluster", "status", "--cluster", description], in: work).status == 0
                }
                let healthy = try CLIRun.json(
                    ["cluster", "status", "--cluster", description], as: Status.self, in: work)
                #expect(
                    healthy.state == "healthy" && healthy.leader != nil && healthy.members.allSatisfy(\.reachable)
                        && healthy.members.count == 3)

                // Environment defaults: KEYCLUSTER_CLUSTER stands for --cluster; a flag wins over it.
                let fromEnvironment = try CLIRun(
                    ["cluster", "status"], in: work, environment: ["KEYCLUSTER_CLUSTER": description])
                #expect(fromEnvironment.status == 0, "\(fromEnvironment.errors)")
                let flagWins = try CLIRun(
                    ["cluster", "status", "--cluster", "missing.json", "--json"], in: work,
                    environment: ["KEYCLUSTER_CLUSTER": description])
                #expect(
                    flagWins.status == 1 && flagWins.errorDocument?.exitStatus == "local-problem", "\(flagWins.output)")
                #expect(flagWins.errorDocument?.hint?.contains("--cluster") == true)

                // §2: add a learner in a new region exactly as documented, wait for it, promote it, remove it.
                let joiner = try cluster.addJoiningMember(region: "sa-east")
                let member = try #require(cluster.member(joiner))
                try cluster.start(joiner)
                let added = try CLIRun.json(
                    ["cluster", "members", "add"] + ops + [
                        "--id", "\(joiner)", "--region", "sa-east", "--peer-address", member.peerAddress,
                        "--client-address", member.clientAddress, "--wait-seconds", "60",
                    ],
                    as: Members.self, in: work)
                #expect(
                    added.members.first { $0.id == joiner }.map { ($0.region, $0.role) } ?? ("", "") == (
                        "sa-east", "learner"
                    ))
                let promoted = try CLIRun.json(
                    ["cluster", "members", "promote", "\(joiner)"] + ops, as: Members.self, in: work)
                #expect(promoted.members.first { $0.id == joiner }?.role == "voter")
                let again = try CLIRun(["cluster", "members", "promote", "\(joiner)"] + ops + ["--json"], in: work)
                #expect([0, 2].contains(again.status), "promoting a voter again: \(again.output)")
                let removed = try CLIRun.json(
                    ["cluster", "members", "remove", "\(joiner)"] + ops, as: Members.self, in: work)
                #expect(!removed.members.contains { $0.id == joiner })
                _ = cluster.kill(joiner)

                // A refusal is exit 2 with the cluster's answer named; a wrong flag combination is a usage error (64).
                let unknownMember = try CLIRun(["cluster", "members", "promote", "99"] + ops + ["--json"], in: work)
                #expect(
                    unknownMember.status == 2 && unknownMember.errorDocument?.exitStatus == "refused",
                    "\(unknownMember.output)")
                let guest = try CLIRun(
                    [
                        "key", "grant", "WVWZZZ1JZXW000042", "--key", "k.pem", "--grantee", "g.pem.pub", "--role",
                        "guest", "--cluster", description,
                    ], in: work)
                #expect(guest.status == 64 && guest.errors.contains("--expires"), "\(guest.errors)")

                // Backups and certificates never overwrite silently.
                let backup = work.appending("kc.backup")
                #expect(
                    try CLIRun(["backup", "--output", backup, "--cluster", description, "--json"], in: work).status == 0
                )
                let overwrite = try CLIRun(
                    ["backup", "--output", backup, "--cluster", description, "--json"], in: work)
                #expect(
                    overwrite.status == 1 && overwrite.errorDocument?.message.contains("already exists") == true,
                    "\(overwrite.output)")
                let pki = work.appending("pki")
                #expect(try CLIRun(["certs", "ca", "--dir", pki], in: work).status == 0)
                #expect(
                    try CLIRun(["certs", "node", "--dir", pki, "--id", "1", "--region", "eu-west"], in: work).status
                        == 0)
                let reissue = try CLIRun(["certs", "node", "--dir", pki, "--id", "1", "--region", "eu-west"], in: work)
                #expect(reissue.status == 1 && reissue.errors.contains("--force"), "\(reissue.errors)")
                #expect(
                    try CLIRun(
                        ["certs", "node", "--dir", pki, "--id", "1", "--region", "eu-west", "--force"], in: work
                    ).status == 0)

                // A frozen follower (SIGSTOP: no reset, no answer): degraded, exit 4, the member named.
                let leader = try await cluster.waitForLeader()
                let follower = try #require(cluster.ids.first { $0 != leader && $0 != joiner })
                #expect(cluster.signal(follower, SIGSTOP))
                // The leader's own view and metrics see it too, though the frozen process's TCP connections stay up.
                try await waitUntil(
                    "the leader reports member \(follower) unreachable and its link down", deadlineSeconds: 15
                ) {
                    let status = try await cluster.status(leader)
                    let metrics = try await cluster.client(leader).text("/metrics")
                    return status.members.first { $0.id == follower }?.link == .unreachable
                        && metricSample(metrics, "keycluster_peer_link_up{peer=\"\(follower)\"}") == 0
                }
                let degraded = try CLIRun(["cluster", "status", "--cluster", description, "--json"], in: work)
                #expect(cluster.signal(follower, SIGCONT))
                #expect(degraded.status == 4, "\(degraded.output)\(degraded.errors)")
                let degradedStatus = try JSONDecoder().decode(Status.self, from: Data(degraded.output.utf8))
                #expect(
                    degradedStatus.state == "degraded"
                        && degradedStatus.problems.contains { $0.contains("member \(follower)") })

                // Two of three members gone: no quorum. Status exits 3; a write says "no leader: 1 of 3 members reachable".
                let survivor = try #require(cluster.ids.first { $0 != leader && $0 != follower && $0 != joiner })
                _ = cluster.kill(leader)
                _ = cluster.kill(follower)
                let unavailable = try CLIRun(["cluster", "status", "--cluster", description, "--json"], in: work)
                #expect(unavailable.status == 3, "\(unavailable.output)")
                #expect(
                    try JSONDecoder().decode(Status.self, from: Data(unavailable.output.utf8)).state == "unavailable")
                // (A read may still be answered from the survivor's fresh state — bounded staleness; a write needs a leader.)
                #expect(try CLIRun(["key", "new", "--output", "owner.pem"], in: work).status == 0)
                let read = try CLIRun(
                    [
                        "vehicle", "register", "WVWZZZ1JZXW000042", "--owner", "owner.pem.pub", "--cluster",
                        description, "--json",
                    ], in: work)
                let error = try #require(read.errorDocument, "no JSON error document: \(read.output) \(read.errors)")
                #expect(read.status == 3 && error.exitStatus == "unavailable", "\(read.output)")
                #expect(error.message == "no leader: 1 of 3 members reachable", "\(error.message)")
                #expect(
                    error.cause?.contains("\(leader)") == true && error.hint?.contains("2 of 3") == true,
                    "\(read.output)")
                _ = survivor
            }
        }
    }

    @Test(
        "a leader whose followers are gone is no working cluster: cluster status exits 3 (unavailable), not 4, even before it steps down"
    )
    func loneLeader() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            try await TemporaryDirectory.with("lone-leader") { work in
                try cluster.layout.writeClientDescription(for: cluster.configurations)
                let leader = try await cluster.waitForLeader()
                for follower in cluster.ids where follower != leader { _ = cluster.kill(follower) }
                let run = try CLIRun(
                    ["cluster", "status", "--cluster", cluster.layout.clientDescriptionPath, "--json"], in: work)
                #expect(run.status == 3, "\(run.output)")
                let status = try JSONDecoder().decode(Status.self, from: Data(run.output.utf8))
                #expect(
                    status.state == "unavailable" && status.leader == nil
                        && status.problems.first?.hasPrefix("no leader: 1 of 3") == true, "\(status.problems)")
            }
        }
    }
}
