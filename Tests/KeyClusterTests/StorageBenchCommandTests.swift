import Foundation
import TestSupport
import Testing

/// The storage benchmark is the README's main job until the cluster exists: it must run and report every figure.
@Suite("keycluster bench storage")
struct StorageBenchCommandTests {
    @Test("a short run prints every measurement with a number, and removes its files")
    func shortRunReportsEveryFigure() async throws {
        try await TemporaryDirectory.with("bench") { directory in
            let child = try ChildProcess(
                executable: try KeyClusterBinary.path(),
                arguments: [
                    "bench", "storage", "--data-dir", directory.path, "--fsync-samples", "20",
                    "--single-write-transactions", "50", "--batched-transactions", "5",
                    "--group-commit-callers", "8", "--writes-per-caller", "10", "--point-reads", "1000",
                ])
            var lines: [String] = []
            for await line in child.outputLines { lines.append(line) }
            #expect(child.waitUntilExit() == .exited(0))
            for measurement in [
                "fsync of a 4 KiB append", "durable commits/s, 1 write per transaction",
                "durable commits/s, 100 writes per transaction", "group commit, 8 concurrent writers",
                "point reads/s",
            ] {
                let row = lines.first { $0.contains(measurement) }
                #expect(row != nil, "missing row: \(measurement)")
                #expect(row?.contains(where: \.isNumber) == true)
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(leftovers.isEmpty, "benchmark left files behind: \(leftovers)")
        }
    }
}
