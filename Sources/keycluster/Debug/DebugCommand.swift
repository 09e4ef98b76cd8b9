import ArgumentParser

/// `keycluster debug …`: tools for tests and diagnosis, not for day-to-day operation.
struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Tools used by the test suite and for diagnosis.",
        shouldDisplay: false,
        subcommands: [CrashWriterCommand.self]
    )
}
