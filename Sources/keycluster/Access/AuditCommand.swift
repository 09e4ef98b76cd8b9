import ArgumentParser
import KeyCluster

/// `keycluster audit VIN`: the vehicle's replicated history — every change and who signed it.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "A vehicle's history of changes, oldest first, with who made each (owners and operators)."
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var reader: ReaderOptions

    @Argument(help: "The vehicle's VIN.")
    var vin: VIN

    @Option(help: "Only records after this revision.")
    var after: UInt64 = 0

    @Option(help: "At most this many records (1–\(DomainLimits.maxAuditPageSize)).")
    var limit = DomainLimits.maxAuditPageSize

    @Option(help: "A revision an earlier command printed: the member waits until it has applied it.")
    var minRevision: UInt64 = 0

    func validate() throws {
        guard (1...DomainLimits.maxAuditPageSize).contains(limit) else {
            throw ValidationError("--limit must be 1–\(DomainLimits.maxAuditPageSize)")
        }
    }

    func run() async throws {
        let holder = try reader.holder()
        let page = try await cluster.withCluster(asOperator: reader.asOperator) { client, _ in
            try await client.audit(vin, as: holder, after: after, limit: limit, minRevision: minRevision)
        }
        if cluster.json { return try cluster.printJSON(page) }
        if page.records.isEmpty { print("no changes after revision \(after)") }
        for record in page.records { print(TextFormat.audit(record)) }
    }
}
