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

        func run() async throws {
            let description = try cluster.description()
            let http = try cluster.makeHTTPClient(asOperator: false, description: description)
            // Every member at once, the file's and those the answers name (the same probe that explains failures).
            let diagnosis = await ClusterDiagnosis.probe(description, http: http)
            try await http.shutdown()
            let report = StatusReport(diagnosis)
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
