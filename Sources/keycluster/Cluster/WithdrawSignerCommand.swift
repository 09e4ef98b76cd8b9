import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster cluster withdraw-signer --certificate FILE --reason TEXT`: withdraws a member's token-signing
/// certificate before it expires (its key was copied). Operator certificate required. Vehicles refuse what it
/// signed once they hold a key list issued after the withdrawal; renew the member's pair with `certs signer`.
struct WithdrawSignerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "withdraw-signer",
        abstract: "Operator: withdraw a member's token-signing certificate (published in every key list).",
        discussion:
            "Then issue the member a new pair with `keycluster certs signer --id N`; until then it signs nothing.")

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The token-signing certificate to withdraw (PEM, node-N-signing.pem).")
    var certificate: String

    @Option(help: "Why (kept with the withdrawal and the operator's name).")
    var reason: String

    struct Body: Encodable {
        var certificate: String
        var reason: String
    }
    struct Withdrawn: Codable {
        var fingerprint: String
        var member: UInt64
        var validUntilUnixMs: Int64
        var revision: UInt64?
    }

    func run() async throws {
        let pem: String
        do {
            pem = try String(contentsOfFile: certificate, encoding: .utf8)
        } catch {
            throw CLIError(
                "cannot read the certificate \(certificate)",
                hint: "give the member's token-signing certificate, node-N-signing.pem")
        }
        let body = Array(try TokenCommand.encoder.encode(Body(certificate: pem, reason: reason)))
        let result = try await cluster.withCluster(asOperator: true) { client, _ in
            try await client.withFailover {
                try await $0.post("/v1/cluster/token-signers/withdraw", body: body, as: Withdrawn.self)
            }
        }
        if cluster.json { return try cluster.printJSON(result) }
        print(
            "withdrew member \(result.member)'s signing certificate \(result.fingerprint) (it would have expired at \(result.validUntilUnixMs) ms); renew it with keycluster certs signer --id \(result.member)"
        )
    }
}
