import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster cluster …`: what an operator asks of a running cluster.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Inspect and operate a running cluster.",
        subcommands: [Status.self, TransferLeaderCommand.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each member's role, term, leader and indexes.")

        @Option(help: "Any member's configuration file: it lists every member and the cluster CA.")
        var config: String

        @Flag(help: "Print JSON for scripts.")
        var json = false

        func run() async throws {
            let configuration = try NodeConfiguration.load(from: config)
            let http = try MemberClient.makeHTTPClient(caCertificatePath: configuration.tls.caCertificate)
            var statuses: [(NodeConfiguration.Member, ClusterStatusResponse?)] = []
            for member in configuration.members {
                let status = try? await MemberClient(address: member.clientAddress, http: http)
                    .get("/v1/cluster/status", as: ClusterStatusResponse.self)
                statuses.append((member, status))
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
