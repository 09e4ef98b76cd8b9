import ArgumentParser
import AsyncHTTPClient
import Foundation
import KeyCluster

/// The options every command that talks to a running cluster shares: where the cluster is described, the
/// operator certificate for operator actions, the region to prefer, and whether to print JSON.
struct ClusterOptions: ParsableArguments {
    @Option(
        name: [.customLong("cluster"), .customLong("config")],
        help: "Cluster description: a client.json (from `local-cluster init` or `serve`) or any member's configuration.")
    var descriptionPath = "keycluster-data/client.json"

    @Option(help: "Operator client certificate (PEM) for operator actions; default: the description's operatorCertificate.")
    var operatorCert: String?

    @Option(help: "The operator certificate's private key (PEM).")
    var operatorKey: String?

    /// `--region` everywhere (issues 5–7 name it); `cluster members add`, whose `--region` is the new
    /// member's, takes `--prefer-region` only (`MemberAddOptions`).
    @Option(name: [.customLong("region"), .customLong("prefer-region")], help: "Region whose members are tried first (default: the description's region).")
    var preferRegion: String?

    @Flag(help: "Print JSON for scripts instead of text.")
    var json = false

    func description() throws -> ClientDescription {
        do {
            return try ClientDescription.load(from: descriptionPath)
        } catch let error as ClientDescription.Invalid {
            throw ValidationError("\(error.reason) (pass --cluster FILE)")
        }
    }

    func validate() throws {
        guard (operatorCert == nil) == (operatorKey == nil) else { throw ValidationError("give --operator-cert and --operator-key together") }
    }

    /// The described members in the order to ask them: those of `--prefer-region` (default: the description's
    /// region) first, each group in file order.
    func membersInAskingOrder(_ description: ClientDescription) -> [ClientDescription.Member] {
        let preferred = preferRegion ?? description.region
        return description.members.filter { $0.region == preferred } + description.members.filter { $0.region != preferred }
    }

    /// An HTTP client that trusts the cluster CA and, when `asOperator`, presents the operator certificate
    /// (from the flags, else the description). The caller shuts it down.
    func makeHTTPClient(asOperator: Bool, description: ClientDescription) throws -> HTTPClient {
        var certificate: (certificate: String, privateKey: String)?
        if asOperator {
            if let operatorCert, let operatorKey {
                certificate = (operatorCert, operatorKey)
            } else if let named = description.operatorCertificate {
                certificate = (named.certificate, named.privateKey)
            } else {
                throw ValidationError("this is an operator action: pass --operator-cert and --operator-key, or a description naming an operatorCertificate")
            }
        }
        return try MemberClient.makeHTTPClient(caCertificatePath: description.caCertificate, clientCertificate: certificate)
    }

    /// Runs `body` with a failover client of the whole cluster, presenting the operator certificate when
    /// `asOperator`; the HTTP client is always shut down.
    func withCluster<R>(asOperator: Bool = false, _ body: (ClusterClient, ClientDescription) async throws -> R) async throws -> R {
        let description = try description()
        let http = try makeHTTPClient(asOperator: asOperator, description: description)
        let client = ClusterClient(
            addresses: description.members.map { (address: $0.clientAddress, region: $0.region) },
            preferredRegion: preferRegion ?? description.region, http: http)
        do {
            let result = try await body(client, description)
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw CommandFailure(error)
        }
    }

    /// Prints `value` as pretty JSON.
    func printJSON<Value: Encodable>(_ value: Value) throws {
        try Self.printJSON(value)
    }

    /// Prints `value` as the pretty, key-sorted JSON every `--json` output uses.
    static func printJSON<Value: Encodable>(_ value: Value) throws {
        print(String(decoding: try TokenCommand.encoder.encode(value), as: UTF8.self))
    }
}

/// A failed call, told plainly: what the cluster answered (status, problem type and title) or why no member
/// could be reached. ArgumentParser prints it and exits non-zero.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    /// A failure the command itself describes.
    init(reason: String) {
        description = reason
    }

    init(_ error: any Error) {
        switch error {
        case MemberClient.CallError.problem(let status, let type, let title, _, _):
            let kind = type.split(separator: ":").last.map(String.init) ?? type
            description = "refused (\(status) \(kind)): \(title)"
        case MemberClient.CallError.unreachable(let reason):
            description = "no member answered: \(reason)"
        default:
            description = "\(error)"
        }
    }
}

/// `ClusterOptions` for `cluster members add`, where `--region` is the new member's region (Deploy/README §2):
/// the same options, the preferred region as `--prefer-region` only.
struct MemberAddOptions: ParsableArguments {
    @Option(
        name: [.customLong("cluster"), .customLong("config")],
        help: "Cluster description: a client.json (from `local-cluster init` or `serve`) or any member's configuration.")
    var descriptionPath = "keycluster-data/client.json"

    @Option(help: "Operator client certificate (PEM); default: the description's operatorCertificate.")
    var operatorCert: String?

    @Option(help: "The operator certificate's private key (PEM).")
    var operatorKey: String?

    @Option(help: "Region whose members are tried first (default: the description's region).")
    var preferRegion: String?

    @Flag(help: "Print JSON for scripts instead of text.")
    var json = false

    /// The same choices as `ClusterOptions`, for the shared helpers.
    var cluster: ClusterOptions {
        var options = ClusterOptions()
        options.descriptionPath = descriptionPath
        options.operatorCert = operatorCert
        options.operatorKey = operatorKey
        options.preferRegion = preferRegion
        options.json = json
        return options
    }
}
