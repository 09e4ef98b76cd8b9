import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster backup`: save a running member's state to a file (online, consistent).
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Save a consistent online backup of a running member's state to a file.")

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The member to back up (default: the first that answers, --region's members first).")
    var member: UInt64?

    @Option(help: "Where to write the backup file.")
    var output: String

    func run() async throws {
        // Checked before anything is downloaded: a backup never replaces a file (it may be the last good one).
        guard !FileManager.default.fileExists(atPath: output) else {
            throw CLIError(
                "\(output) already exists", cause: "a backup never overwrites a file (it may be the last good one)",
                hint: "choose another --output or move that file away")
        }
        let directory = (output as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: directory.isEmpty ? "." : directory) else {
            throw CLIError(
                "cannot write \(output)",
                cause: FileManager.default.fileExists(atPath: directory)
                    ? "\(directory) is not writable" : "\(directory) does not exist",
                hint: "choose an existing, writable directory for --output")
        }
        let description = try cluster.description()
        let members = cluster.membersInAskingOrder(description).filter { member == nil || $0.id == member }
        guard !members.isEmpty else {
            throw CLIError(
                "member \(member.map(String.init) ?? "") is not in \(cluster.descriptionPath)",
                hint: "name a member the description lists (`keycluster cluster status`)")
        }
        let http = try cluster.makeHTTPClient(asOperator: true, description: description)
        var failures: [String] = []
        let progress = Progress(silent: cluster.json)
        for candidate in members {
            do {
                progress.say(
                    "backup: downloading from member \(candidate.id) (\(candidate.region)) at \(candidate.clientAddress)"
                )
                let contents = try await ClusterBackup.download(from: candidate.clientAddress, http: http, to: output)
                progress.say("backup: verified (cluster id and SHA-256) and renamed into place")
                try await http.shutdown()
                struct Written: Encodable {
                    var member: UInt64
                    var revision: UInt64
                    var file: String
                    var cluster: String
                    var sha256: String
                }
                if cluster.json {
                    try cluster.printJSON(
                        Written(
                            member: candidate.id, revision: contents.appliedIndex, file: output,
                            cluster: "\(contents.clusterID)", sha256: contents.digestHex))
                } else {
                    print(
                        "backup of member \(candidate.id) (cluster \(contents.clusterID)) at revision \(contents.appliedIndex) written to \(output)"
                    )
                    print("sha256 \(contents.digestHex)")
                }
                return
            } catch {
                let failure = CLIError(describing: error)
                failures.append("member \(candidate.id): \(failure.message)" + (failure.cause.map { " (\($0))" } ?? ""))
            }
        }
        try await http.shutdown()
        throw CLIError(
            "no backup taken", cause: failures.joined(separator: "; "),
            hint: "a backup needs one reachable member and an operator certificate; see `keycluster cluster status`",
            exitStatus: .unavailable)
    }
}

/// `keycluster restore`: prepare a new member's empty data directory from a backup.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Prepare a new cluster member's empty data directory from a backup file.",
        discussion:
            "Run once per member of the new cluster, each with its own configuration and the same backup; then start them."
    )

    @Option(help: "The backup file written by `keycluster backup`.")
    var backup: String

    /// `--node-config`: everywhere else `--config` is the cluster description a client reads; here it is the
    /// member's own configuration (`serve --config`'s file), so it has its own name. `--config` still accepted.
    @Option(
        name: [.customLong("node-config"), .customLong("config")],
        help: "This new member's configuration file (its data directory and the new cluster's members).")
    var config: String

    @Flag(help: "Print JSON for scripts instead of text.")
    var json = false

    struct Restored: Encodable {
        var member: UInt64
        var dataDirectory: String
        var revision: UInt64
        var cluster: String
        var sourceCluster: String
    }

    func run() async throws {
        let configuration = try NodeConfiguration.load(from: config)
        let progress = Progress(silent: json)
        progress.say("restore: checking that no member of \(config) answers")
        let live = try await ClusterBackup.livePeers(of: configuration)
        progress.say("restore: verifying \(backup) and writing \(configuration.dataDirectory)")
        let restored = try ClusterBackup.restore(from: backup, configuration: configuration, livePeers: live)
        if json {
            return try ClusterOptions.printJSON(
                Restored(
                    member: configuration.id, dataDirectory: configuration.dataDirectory,
                    revision: restored.appliedIndex,
                    cluster: "\(restored.clusterID)", sourceCluster: "\(restored.sourceClusterID)"))
        }
        print(
            "member \(configuration.id) prepared in \(configuration.dataDirectory) at revision \(restored.appliedIndex): "
                + "new cluster \(restored.clusterID) (from a backup of cluster \(restored.sourceClusterID))")
    }
}
