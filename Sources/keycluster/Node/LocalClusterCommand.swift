import ArgumentParser
import KeyCluster
import KeyClusterTooling

/// `keycluster local-cluster init`: writes a CA, certificates and member configurations for a cluster on
/// this machine, one member per region given.
struct LocalClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local-cluster",
        abstract: "Prepare configurations and certificates for a cluster on this machine.",
        subcommands: [Init.self, AddMember.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create the CA, member certificates and configurations, and client.json (members, CA, an operator certificate) for the CLI."
        )

        /// `--dir`, or `--data-dir` as `serve` names the same directory.
        @Option(
            name: [.customLong("dir"), .customLong("data-dir")],
            help: "Directory for certificates, configurations and data.")
        var dir: String

        @Option(help: "Comma-separated region of each member, in id order (3 members: 1-1-1; 5 members: 2-2-1).")
        var regions = "eu-west,us-east,ap-south"

        @Option(help: "Peer port of member 1; member N uses basePeerPort + N - 1.")
        var basePeerPort = 7_201

        @Option(help: "Client (HTTPS) port of member 1; member N uses baseClientPort + N - 1.")
        var baseClientPort = 8_201

        @Option(help: "Comma-separated IPv4 address of each member, in id order (default: all on 127.0.0.1).")
        var hosts: String?

        @Option(help: "Staleness bound of bounded unlock decisions (default 5000; 0 disables them).")
        var maxStalenessMilliseconds: Int?

        @Option(help: "Milliseconds per Raft tick.")
        var tickMilliseconds = 100

        @Option(help: "Ticks without a leader before an election (randomised up to twice this).")
        var electionTicks = 10

        @Flag(
            help: "Serve the diagnostic /debug routes (to operator certificates only): for test and benchmark clusters."
        )
        var debugRoutes = false

        @Flag(help: "Print JSON for scripts instead of text.")
        var json = false

        struct Created: Encodable {
            var configurations: [String]
            var clientDescription: String
            var caCertificate: String
        }

        func run() throws {
            let regionList = regions.split(separator: ",").map(String.init)
            guard (1...9).contains(regionList.count) else {
                throw ValidationError("give 1 to 9 regions, one per member")
            }
            let hostList = hosts?.split(separator: ",").map(String.init)
            guard hostList == nil || hostList?.count == regionList.count else {
                throw ValidationError("give one host per region")
            }
            let plans = regionList.enumerated().map { offset, region in
                LocalClusterLayout.MemberPlan(
                    id: UInt64(offset + 1), region: region, peerPort: basePeerPort + offset,
                    clientPort: baseClientPort + offset,
                    host: hostList?[offset])
            }
            let layout = LocalClusterLayout(directory: dir)
            let configurations = try layout.create(
                members: plans, timing: .init(tickMilliseconds: tickMilliseconds, electionTicks: electionTicks),
                maxStalenessMilliseconds: maxStalenessMilliseconds, debugRoutes: debugRoutes)
            try layout.writeClientDescription(for: configurations)
            if json {
                return try ClusterOptions.printJSON(
                    Created(
                        configurations: plans.map { layout.configurationPath(of: $0.id) },
                        clientDescription: layout.clientDescriptionPath,
                        caCertificate: layout.caCertificatePath))
            }
            for plan in plans { print(layout.configurationPath(of: plan.id)) }
            print(layout.clientDescriptionPath)
        }
    }
}
