import ArgumentParser
import AsyncHTTPClient
import Foundation
import KeyCluster

/// The options every command that talks to a running cluster shares: where the cluster is described, the
/// operator certificate for operator actions, the region to prefer, and whether to print JSON.
struct ClusterOptions: ParsableArguments {
    @Option(
        name: [.customLong("cluster"), .customLong("config")],
        help:
            "Cluster description: a client.json (from `local-cluster init` or `serve`) or any member's configuration (default: $KEYCLUSTER_CLUSTER, else keycluster-data/client.json)."
    )
    var descriptionPath = EnvironmentDefaults.clusterDescription

    @Option(
        help:
            "Operator client certificate (PEM) for operator actions; default: $KEYCLUSTER_OPERATOR_CERT, else the description's operatorCertificate."
    )
    var operatorCert: String? = EnvironmentDefaults.string("operatorCert")

    @Option(help: "The operator certificate's private key (PEM); default: $KEYCLUSTER_OPERATOR_KEY.")
    var operatorKey: String? = EnvironmentDefaults.string("operatorKey")

    /// `--region` everywhere (issues 5–7 name it); `cluster members add`, whose `--region` is the new
    /// member's, takes `--prefer-region` only (`MemberAddOptions`).
    @Option(
        name: [.customLong("region"), .customLong("prefer-region")],
        help: "Region whose members are tried first (default: $KEYCLUSTER_REGION, else the description's region).")
    var preferRegion: String? = EnvironmentDefaults.string("region")

    @Flag(help: "Print JSON for scripts instead of text.")
    var json = false

    func description() throws -> ClientDescription {
        do {
            return try ClientDescription.load(from: descriptionPath)
        } catch let error as ClientDescription.Invalid {
            throw CLIError(
                "cannot use the cluster description", cause: error.reason,
                hint:
                    "pass --cluster FILE or set KEYCLUSTER_CLUSTER (a client.json from `local-cluster init`, or any member's configuration)"
            )
        }
    }

    func validate() throws {
        guard (operatorCert == nil) == (operatorKey == nil) else {
            throw ValidationError(
                "give --operator-cert and --operator-key together (or set both KEYCLUSTER_OPERATOR_CERT and KEYCLUSTER_OPERATOR_KEY)"
            )
        }
    }

    /// The described members in the order to ask them: those of `--prefer-region` (default: the description's
    /// region) first, each group in file order.
    func membersInAskingOrder(_ description: ClientDescription) -> [ClientDescription.Member] {
        let preferred = preferRegion ?? description.region
        return description.members.filter { $0.region == preferred }
            + description.members.filter { $0.region != preferred }
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
                throw CLIError(
                    "this is an operator action and no operator certificate was given",
                    hint:
                        "pass --operator-cert and --operator-key (or KEYCLUSTER_OPERATOR_CERT/KEYCLUSTER_OPERATOR_KEY), or a description naming an operatorCertificate"
                )
            }
        }
        let origin = "named by --cluster \(descriptionPath)"
        try PEMFileCheck.certificate(description.caCertificate, role: "cluster CA certificate", origin: origin)
        if let certificate {
            try PEMFileCheck.certificate(
                certificate.certificate, role: "operator certificate", origin: "given for this operator action")
            try PEMFileCheck.privateKey(
                certificate.privateKey, role: "operator private key", origin: "given for this operator action")
        }
        return try MemberClient.makeHTTPClient(
            caCertificatePath: description.caCertificate, clientCertificate: certificate)
    }

    /// Runs `body` with a failover client of the whole cluster, presenting the operator certificate when
    /// `asOperator`; the HTTP client is always shut down.
    func withCluster<R>(asOperator: Bool = false, _ body: (ClusterClient, ClientDescription) async throws -> R)
        async throws -> R
    {
        let description = try description()
        let http = try makeHTTPClient(asOperator: asOperator, description: description)
        var policy = ClusterClient.RetryPolicy()
        // Retrying rides through an election; it cannot bring back a quorum. Once a call fails for want of a
        // leader or a member, ask every member: if fewer than a majority answer, report that now (seconds)
        // instead of after every retry has waited out its member's no-leader timeout.
        policy.stopRetrying = { error in
            guard CLIError(callError: error).suggestsLostQuorum else { return false }
            let diagnosis = await ClusterDiagnosis.probe(description, http: http)
            return diagnosis.reachable.count < diagnosis.quorum
        }
        let client = ClusterClient(
            addresses: description.members.map { (address: $0.clientAddress, region: $0.region) },
            preferredRegion: preferRegion ?? description.region, http: http, policy: policy)
        do {
            let result = try await body(client, description)
            try await http.shutdown()
            return result
        } catch {
            let failure = await Self.diagnosed(CLIError(describing: error), description: description, http: http)
            try? await http.shutdown()
            throw failure
        }
    }

    /// `failure`, explained by the members' state when the cluster could not answer (see `ClusterDiagnosis`).
    static func diagnosed(_ failure: CLIError, description: ClientDescription, http: HTTPClient) async -> CLIError {
        guard failure.suggestsLostQuorum else { return failure }
        return await ClusterDiagnosis.probe(description, http: http).explaining(failure) ?? failure
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

/// `ClusterOptions` for `cluster members add`, where `--region` is the new member's region (Deploy/README §2):
/// the same options, the preferred region as `--prefer-region` only.
struct MemberAddOptions: ParsableArguments {
    @Option(
        name: [.customLong("cluster"), .customLong("config")],
        help:
            "Cluster description: a client.json (from `local-cluster init` or `serve`) or any member's configuration (default: $KEYCLUSTER_CLUSTER, else keycluster-data/client.json)."
    )
    var descriptionPath = EnvironmentDefaults.clusterDescription

    @Option(
        help:
            "Operator client certificate (PEM); default: $KEYCLUSTER_OPERATOR_CERT, else the description's operatorCertificate."
    )
    var operatorCert: String? = EnvironmentDefaults.string("operatorCert")

    @Option(help: "The operator certificate's private key (PEM); default: $KEYCLUSTER_OPERATOR_KEY.")
    var operatorKey: String? = EnvironmentDefaults.string("operatorKey")

    @Option(help: "Region whose members are tried first (default: $KEYCLUSTER_REGION, else the description's region).")
    var preferRegion: String? = EnvironmentDefaults.string("region")

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
