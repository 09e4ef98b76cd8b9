import ArgumentParser

/// `keycluster bench …`: reproducible measurements whose output goes into BENCHMARKS.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark and print its results as a Markdown table.",
        subcommands: [
            StorageBenchCommand.self, ApplyBenchCommand.self, FailoverBenchCommand.self, WritesBenchCommand.self,
            UnlockBenchCommand.self, RegionsBenchCommand.self, OutageBenchCommand.self, ScaleBenchCommand.self,
        ]
    )
}
