import ArgumentParser
import KeyCluster
import KeyClusterTooling

extension LocalClusterCommand {
    /// `keycluster local-cluster add-member`: certificate and `"join": true` configuration of a new member for a
    /// cluster laid out with `init`, ready for `serve` and then `cluster members add` (docs/membership.md).
    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-member", abstract: "Create the certificate and joining configuration of a new member.")

        @Option(
            name: [.customLong("dir"), .customLong("data-dir")], help: "The cluster's directory (as given to init).")
        var dir: String

        @Option(help: "The new member's id (never one used before).")
        var id: UInt64

        @Option(help: "Its region.")
        var region: String

        @Option(help: "Its peer (Raft) port.")
        var peerPort: Int

        @Option(help: "Its client (HTTPS) port.")
        var clientPort: Int

        @Option(
            help:
                "A current member's configuration file: its members and timing are copied. List the current members there if the membership changed since it was written."
        )
        var from: String

        @Flag(help: "Print JSON for scripts instead of text.")
        var json = false

        func run() throws {
            guard (1...65_535).contains(peerPort), (1...65_535).contains(clientPort) else {
                throw ValidationError("ports must be 1–65535")
            }
            let existing = try NodeConfiguration.load(from: from)
            guard !existing.members.contains(where: { $0.id == id }) else {
                throw ValidationError("member \(id) already exists in \(from)")
            }
            let layout = LocalClusterLayout(directory: dir)
            try layout.createJoining(
                .init(id: id, region: region, peerPort: peerPort, clientPort: clientPort),
                existing: existing.members,
                timing: existing.timing, maxStalenessMilliseconds: existing.maxStalenessMilliseconds)
            if json {
                struct Created: Encodable { var configuration: String }
                return try ClusterOptions.printJSON(Created(configuration: layout.configurationPath(of: id)))
            }
            print(layout.configurationPath(of: id))
        }
    }
}
