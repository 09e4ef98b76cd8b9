import ArgumentParser
import Foundation
import KeyCluster
import KeyClusterTooling
import Logging

/// `keycluster serve`: runs one cluster member until SIGTERM/SIGINT.
///
/// With `--config FILE` it runs the member that file describes. With no arguments it runs the embedded
/// default: a one-member cluster on 127.0.0.1 with its data and a development CA under ./keycluster-data
/// (created on first start, reused afterwards).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a cluster member (with no arguments: a one-member development cluster in ./keycluster-data)."
    )

    @Option(
        help:
            "The member's configuration file (JSON); default: $KEYCLUSTER_CONFIG. Paths in it are relative to the file."
    )
    var config: String? = EnvironmentDefaults.string("config")

    @Option(
        name: [.customLong("data-dir"), .customLong("dir")],
        help: "Directory of the embedded default, used when --config is not given.")
    var dataDir = "keycluster-data"

    @Option(
        help:
            "Least severe log level written (trace, debug, info, notice, warning, error, critical); default: $KEYCLUSTER_LOG_LEVEL, else info."
    )
    var logLevel = EnvironmentDefaults.string("logLevel") ?? "info"

    @Option(
        help:
            "Log line format: text (logfmt) or json (one object per line). Default: $KEYCLUSTER_LOG_FORMAT, else text.")
    var logFormat: String?

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CLIError(
                "unknown log level \(logLevel)",
                hint: "use one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let formatName = logFormat ?? EnvironmentDefaults.string("logFormat") ?? LogFormat.text.rawValue
        guard let format = LogFormat(rawValue: formatName) else {
            throw ValidationError(
                "unknown log format \(formatName) (use \(LogFormat.allCases.map(\.rawValue).joined(separator: " or ")))"
            )
        }
        let sink = LogSink(format: format)
        LoggingSystem.bootstrap { label in QueuedLogHandler(label: label, sink: sink, level: level, format: format) }
        let configuration: NodeConfiguration
        if let config {
            configuration = try NodeConfiguration.load(from: config)
        } else {
            configuration = try developmentConfiguration()
        }
        let me = try configuration.me
        try ServePreflight.check(configuration, configPath: config)
        // Under --log-format json every line a collector reads is JSON: the banner is left to the log ("serving").
        if format == .text {
            print(
                "keycluster: member \(configuration.id) (\(me.region)) — API https://\(me.clientAddress), data \(configuration.dataDirectory)"
            )
        }
        // Written now, not when the buffer fills or the process exits: a supervisor's log shows the banner at start.
        fflush(nil)  // every stream: `stdout` itself is shared mutable state to Swift 6
        try await KeyClusterServer(configuration: configuration).run()
    }

    /// Ports of the embedded default.
    static let developmentPeerPort = 7_101
    static let developmentClientPort = 8_101

    private func developmentConfiguration() throws -> NodeConfiguration {
        let layout = LocalClusterLayout(directory: dataDir)
        let path = layout.configurationPath(of: 1)
        if FileManager.default.fileExists(atPath: path) { return try NodeConfiguration.load(from: path) }
        let created = try layout.create(members: [
            .init(id: 1, region: "local", peerPort: Self.developmentPeerPort, clientPort: Self.developmentClientPort)
        ])
        try layout.writeClientDescription(for: created)
        print(
            "keycluster: created a development cluster in \(dataDir) (CA: \(layout.caCertificatePath), CLI access: \(layout.clientDescriptionPath))"
        )
        fflush(nil)  // every stream: `stdout` itself is shared mutable state to Swift 6
        return created[0]
    }
}
