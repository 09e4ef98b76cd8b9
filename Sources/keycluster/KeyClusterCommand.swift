import ArgumentParser

/// `keycluster`: the one executable — the node, the operator's tools and the benchmarks.
@main
struct KeyClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keycluster",
        abstract: "A Raft-replicated store of vehicle key authorizations.",
        subcommands: [
            ServeCommand.self, DemoCommand.self, VehicleCommand.self, KeyCommand.self, UnlockCommand.self, TokenCommand.self,
            AuditCommand.self, ClusterCommand.self, LocalClusterCommand.self, CertsCommand.self, BackupCommand.self,
            RestoreCommand.self, BenchCommand.self, DebugCommand.self,
        ]
    )
}
