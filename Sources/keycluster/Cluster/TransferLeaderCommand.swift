import ArgumentParser
import KeyCluster

/// `keycluster cluster transfer-leader --to ID`: hands leadership to another voter (e.g. before
/// maintenance of the leader's machine). Operator certificate required.
struct TransferLeaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer-leader",
        abstract: "Operator: hand leadership to another voter."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The member id to lead next.")
    var to: UInt64

    struct Body: Encodable { var to: UInt64 }
    struct Transferred: Codable {
        var leader: UInt64
        var term: UInt64
    }

    func run() async throws {
        let result = try await cluster.withCluster(asOperator: true) { client, description in
            guard description.members.contains(where: { $0.id == to }) else {
                throw ValidationError("member \(to) is not in the cluster description")
            }
            // Only the leader can hand over: find it through any member, then ask it directly.
            let status = try await client.withFailover {
                try await $0.get("/v1/cluster/status", as: ClusterStatusResponse.self)
            }
            guard let leader = status.leader,
                let address = description.members.first(where: { $0.id == leader })?.clientAddress,
                let member = client.members.first(where: { $0.address == address })
            else {
                throw MemberClient.CallError.problem(
                    status: 503, type: "no-leader", title: "No leader is known right now", retryAfterSeconds: 1)
            }
            if leader == to { return Transferred(leader: leader, term: status.term) }
            let body = Array(try TokenCommand.encoder.encode(Body(to: to)))
            return try await member.post("/v1/cluster/transfer-leader", body: body, as: Transferred.self)
        }
        if cluster.json { return try cluster.printJSON(result) }
        print("member \(result.leader) leads (term \(result.term))")
    }
}
