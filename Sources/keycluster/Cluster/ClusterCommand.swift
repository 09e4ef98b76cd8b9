import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster cluster …`: what an operator asks of a running cluster.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Inspect a running cluster, change its members, move its leadership.",
        subcommands: [Status.self, MembersCommand.self, TransferLeaderCommand.self, WithdrawSignerCommand.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each member's role, term, leader and indexes.")

        /// The members to ask first; members added later are found through their answers.
        @OptionGroup var cluster: ClusterOptions

        /// Members asked at most, however many the answers name.
        static let maxMembers = 64

        func run() async throws {
            let description = try cluster.description()
            let http = try cluster.makeHTTPClient(asOperator: false, description: description)
            var statuses: [(ClientDescription.Member, ClusterStatusResponse?)] = []
            // The file's members (--region's first), then members added since (the answers list the live membership).
            var pending = cluster.membersInAskingOrder(description)
            while let member = pending.first, statuses.count < Self.maxMembers {
                pending.removeFirst()
                let status = try? await MemberClient(address: member.clientAddress, http: http)
                    .get("/v1/cluster/status", as: ClusterStatusResponse.self)
                statuses.append((member, status))
                let known = Set(statuses.map(\.0.id) + pending.map(\.id))
                for live in status?.members ?? [] where !known.contains(live.id) && !live.clientAddress.isEmpty {
                    pending.append(.init(id: live.id, region: live.region, clientAddress: live.clientAddress))
                }
            }
            try await http.shutdown()
            let report = StatusReport(statuses.map { StatusReport.Member(description: $0.0, status: $0.1) })
            if cluster.json {
                try cluster.printJSON(report)
            } else {
                for member in report.members { print(member.line) }
                print(report.summary)
            }
            guard report.state == .healthy else { throw ExitCode(report.state.exitStatus.rawValue) }
        }
    }
}
