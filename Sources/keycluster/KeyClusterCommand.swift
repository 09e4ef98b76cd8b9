import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster`: the one executable — the node, the operator's tools and the benchmarks.
@main
struct KeyClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keycluster",
        abstract: "A Raft-replicated store of vehicle key authorizations.",
        discussion: """
            Exit statuses: 0 done; 1 a local problem (file, certificate, port, flag value); 2 the cluster refused \
            the request; 3 the cluster is unavailable (unreachable, no leader, overloaded: retry later); 4 `cluster \
            status`: degraded; 5 `token verify`: not valid; 64 the command line is wrong. With --json, errors are a \
            JSON document {"error": {...}} on standard output.
            """,
        version: BuildInfo.version,
        subcommands: [
            ServeCommand.self, DemoCommand.self, VehicleCommand.self, KeyCommand.self, UnlockCommand.self,
            TokenCommand.self,
            AuditCommand.self, ClusterCommand.self, LocalClusterCommand.self, CertsCommand.self, BackupCommand.self,
            RestoreCommand.self, BenchCommand.self, DebugCommand.self, VersionCommand.self,
        ]
    )

    /// Parses the command line, runs the command, and reports a failure as a `CLIError` (message, cause,
    /// hint; JSON under `--json`) with its documented exit status. A wrong command line keeps
    /// ArgumentParser's report (usage, status 64); runtime errors never print the usage.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let json = arguments.contains("--json")
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // `--help` and `--version` end parsing with a "clean" error: ArgumentParser prints them, status 0.
            if json, exitCode(for: error) != .success {
                CLIError(fullMessage(for: error), hint: "see `keycluster help`", exitStatus: .usage).exit(json: true)
            }
            exit(withError: error)
        }
        do {
            var command = command
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // A flag value found wrong at run time: a local problem, told without the usage text.
            CLIError(describing: error).exit(json: json)
        } catch  where isArgumentParserControl(error) {
            // `keycluster help …` runs as a command and ends with a help request; ExitCode and CleanExit too.
            exit(withError: error)
        } catch {
            CLIError(describing: error).exit(json: json)
        }
    }

    /// ArgumentParser's own flow-control errors (help requested, exit codes), which it prints itself.
    static func isArgumentParserControl(_ error: any Error) -> Bool {
        error is ExitCode || error is CleanExit || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}

/// `keycluster version`: this build's version, compiler and configuration (also `keycluster --version`,
/// `/healthz` and the `keycluster_build_info` metric), so an operator can match binaries to members.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print this build's version.")

    @Flag(help: "Print JSON for scripts instead of text.")
    var json = false

    struct Version: Encodable {
        var version: String
        var swift: String
        var configuration: String
    }

    func run() throws {
        let version = Version(
            version: BuildInfo.version, swift: BuildInfo.swiftVersion, configuration: BuildInfo.configuration)
        if json { return try ClusterOptions.printJSON(version) }
        print("keycluster \(version.version) (swift \(version.swift), \(version.configuration))")
    }
}
