import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster unlock VIN --key FILE`: ask the cluster for a vehicle command as a key holder, and check the
/// token it answers the way the car would (offline, against the cluster CA).
struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Ask for unlock (or --command lock, drive, …) as a key holder; prints the verified token."
    )

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: "The vehicle's VIN.")
    var vin: VIN

    @Option(help: "The key holder's private key file, which signs the request.")
    var key: String

    @Option(help: "The command: \(Permission.allCases.map(\.rawValue).joined(separator: ", ")).")
    var command: Permission = .unlock

    @Option(help: "A revision an earlier command printed: the member decides on state at least that new.")
    var minRevision: UInt64 = 0

    @Flag(
        help:
            "Accept a bounded-staleness decision: a member with fresh state answers without a read round through the leader."
    )
    var bounded = false

    /// `--output` as every command that writes a file names it; `--token-out` still accepted.
    @Option(
        name: [.customLong("output"), .customLong("token-out")],
        help: "Also write the signed token (JSON) here, e.g. for `keycluster token verify`.")
    var tokenOut: String?

    /// `--json` output: the verified claims and the signed document as received.
    struct Output: Encodable {
        var token: UnlockToken
        var document: SignedDocument
    }

    func run() async throws {
        let holder = try KeyFile.holder(at: key)
        let (document, description) = try await cluster.withCluster { client, description in
            (
                try await client.command(
                    command, on: vin, as: holder, minRevision: minRevision, acceptingBounded: bounded), description
            )
        }
        let token = try TokenCommand.verifier(caPath: description.caCertificate)
            .verifyUnlockToken(document, vin: vin, command: command, nowUnixMs: WallClock.nowUnixMs())
        if let tokenOut { try TokenCommand.encoder.encode(document).write(to: URL(fileURLWithPath: tokenOut)) }
        if cluster.json { return try cluster.printJSON(Output(token: token, document: document)) }
        print(TextFormat.token(token))
    }
}
