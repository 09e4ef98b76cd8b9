import ArgumentParser
import Foundation
import KeyCluster
import KeyClusterTooling

/// `keycluster bench apply`: CPU per owner-signed grant in the replicated state machine alone — what every
/// member pays per grant, apart from replication and HTTP (`GrantApplyBench`). Run it under
/// `valgrind --tool=callgrind --toggle-collect='*GrantApplyBench*measure*'` for instruction counts.
struct ApplyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "CPU per owner-signed grant in the replicated state machine (encode, apply, result), in-process."
    )

    @Option(help: "Directory to benchmark in; a fresh subdirectory is used and removed.")
    var dataDir: String = FileManager.default.temporaryDirectory.path

    @Option(help: "Vehicles enrolled; each is granted 31 keys.")
    var vehicles = 300

    @OptionGroup var output: BenchOutput

    func run() throws {
        guard vehicles > 0 else { throw ValidationError("--vehicles must be positive") }
        let directory = (dataDir as NSString).appendingPathComponent("keycluster-apply-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = try GrantApplyBench.run(directory: directory, vehicles: vehicles)
        try output.emit(report) {
            print(
                """
                | grants | command bytes | wall µs / grant | CPU µs / grant |
                |---|---|---|---|
                | \(report.grants) | \(report.commandBytes) | \(String(format: "%.1f", report.wallMicrosecondsPerGrant)) | \(String(format: "%.1f", report.cpuMicrosecondsPerGrant)) |
                """)
        }
    }
}
