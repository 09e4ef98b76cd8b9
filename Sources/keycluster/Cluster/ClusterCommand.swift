import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster cluster …`: what an operator asks of a running cluster.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Inspect a running cluster, change its members, move its leadership.",
        subcommands: [Status.self, MembersCommand.self, TransferLeaderCommand.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each member's role, term, leader and indexes.")

        @Option(help: "Any member's configuration file: the cluster CA and members to ask (members added later are found through them).")
        var config: String

        /// Members asked at most, however many the answers name.
        static let maxMembers = 64

        @Flag(help: "Print JSON for scripts.")
        var json = false

        func run() async throws {
            let configuration = try NodeConfiguration.load(from: config)
            let http = try MemberClient.makeHTTPClient(caCertificatePath: configuration.tls.caCertificate)
            var statuses: [(NodeConfiguration.Member, ClusterStatusResponse?)] = []
            // The file's members first, then members added since (the answers list the live membership).
            var pending = configuration.members
            while let member = pending.first, statuses.count < Self.maxMembers {
                pending.removeFirst()
                let status = try? await MemberClient(address: member.clientAddress, http: http)
                    .get("/v1/cluster/status", as: ClusterStatusResponse.self)
                statuses.append((member, status))
                let known = Set(statuses.map(\.0.id) + pending.map(\.id))
                for live in status?.members ?? [] where !known.contains(live.id) && !live.clientAddress.isEmpty {
                    pending.append(.init(id: live.id, region: live.region, peerAddress: "", clientAddress: live.clientAddress))
                }
            }
            try await http.shutdown()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let reachable = statuses.compactMap(\.1)
                print(String(decoding: try encoder.encode(reachable), as: UTF8.self))
                return
            }
            for (member, status) in statuses {
                guard let status else {
                    print("member \(member.id) (\(member.region)) \(member.clientAddress): unreachable")
                    continue
                }
                print("member \(member.id) (\(member.region)) \(member.clientAddress): \(status.role), term \(status.term), "
                    + "leader \(status.leader.map(String.init) ?? "none"), commit \(status.commitIndex), applied \(status.appliedIndex)"
                    + (status.failure.map { ", FAILED: \($0)" } ?? ""))
            }
        }
    }
}
