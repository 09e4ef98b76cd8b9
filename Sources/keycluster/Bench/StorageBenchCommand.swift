import ArgumentParser
import Foundation
import Storage

/// `keycluster bench storage`: what durable LMDB commits cost on this disk, next to the limit fsync sets.
///
/// A durable commit needs at least one fsync, so commits/s with one write per transaction cannot exceed
/// 1/fsync-latency; a figure far above it would mean commits are not really synced. Batching (100 writes per
/// transaction, or the group-commit writer with many callers) is how the write rate escapes that limit.
struct StorageBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Durable commits/s, group-commit throughput and point reads/s of the LMDB storage layer."
    )

    @Option(help: "Directory to benchmark in (same disk as a node's data); a fresh subdirectory is used and removed.")
    var dataDir: String = FileManager.default.temporaryDirectory.path

    @Option(help: "fsyncs timed for the reference latency.")
    var fsyncSamples = 1_000

    @Option(help: "Transactions committed with one write each.")
    var singleWriteTransactions = 2_000

    @Option(help: "Transactions committed with 100 writes each.")
    var batchedTransactions = 500

    @Option(help: "Concurrent callers of the group-commit writer.")
    var groupCommitCallers = 64

    @Option(help: "Writes each group-commit caller makes.")
    var writesPerCaller = 300

    @Option(help: "Point reads in one read transaction.")
    var pointReads = 1_000_000

    @OptionGroup var output: BenchOutput

    struct Report: Encodable {
        var fsyncMedianMilliseconds: Double
        var fsyncP99Milliseconds: Double
        var singleWriteCommitsPerSecond: Double
        var batchedCommitsPerSecond: Double
        var groupCommitWritesPerSecond: Double
        var groupCommitCommitsPerSecond: Double
        var pointReadsPerSecond: Double
    }

    /// Size of each value written, in bytes: about one key grant record.
    static let valueBytes = 128
    static let writesPerBatchedTransaction = 100

    func run() async throws {
        let directory = (dataDir as NSString).appendingPathComponent("keycluster-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fsync = try FsyncProbe(directory: directory).measure(samples: fsyncSamples)
        let environment = try Environment(path: directory + "/lmdb")
        let database = try environment.openDatabase("bench")
        let value = [UInt8](repeating: 0xA5, count: Self.valueBytes)

        let single = try timeCommits(singleWriteTransactions) { number in
            try environment.write { txn in try txn.put(value, for: key(number), in: database) }
        }
        let batched = try timeCommits(batchedTransactions) { number in
            try environment.write { txn in
                for offset in 0..<Self.writesPerBatchedTransaction {
                    try txn.put(
                        value, for: key(1_000_000 + number * Self.writesPerBatchedTransaction + offset), in: database)
                }
            }
        }
        let group = try await timeGroupCommit(environment: environment, database: database, value: value)
        let reads = try timePointReads(environment: environment, database: database)

        let limit = 1 / fsync.median.seconds
        if output.json {
            return try ClusterOptions.printJSON(
                Report(
                    fsyncMedianMilliseconds: fsync.median.seconds * 1_000,
                    fsyncP99Milliseconds: fsync.p99.seconds * 1_000,
                    singleWriteCommitsPerSecond: single, batchedCommitsPerSecond: batched,
                    groupCommitWritesPerSecond: group.writesPerSecond,
                    groupCommitCommitsPerSecond: group.commitsPerSecond, pointReadsPerSecond: reads))
        }
        print(
            """
            | measurement | result | vs 1/fsync (\(Int(limit))/s) |
            |---|---|---|
            | fsync of a 4 KiB append, median / p99 | \(fsync.median.milliseconds) ms / \(fsync.p99.milliseconds) ms | — |
            | durable commits/s, 1 write per transaction | \(Int(single)) | \(ratio(single, limit)) |
            | durable commits/s, 100 writes per transaction | \(Int(batched)) (\(Int(batched) * Self.writesPerBatchedTransaction) writes/s) | \(ratio(batched, limit)) |
            | group commit, \(groupCommitCallers) concurrent writers | \(Int(group.writesPerSecond)) writes/s in \(Int(group.commitsPerSecond)) commits/s (avg \(group.averageBatch) writes per commit) | \(ratio(group.commitsPerSecond, limit)) commits |
            | point reads/s, one read transaction | \(Int(reads)) | — |
            """)
    }

    private func key(_ number: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(number).bigEndian) { Array($0) }
    }

    private func ratio(_ rate: Double, _ limit: Double) -> String {
        String(format: "%.2f×", rate / limit)
    }

    /// Commits `count` transactions one after another; returns commits per second.
    private func timeCommits(_ count: Int, _ commit: (Int) throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for number in 0..<count { try commit(number) }
        }
        return Double(count) / elapsed.seconds
    }

    private func timeGroupCommit(
        environment: Environment, database: Database, value: [UInt8]
    ) async throws -> (writesPerSecond: Double, commitsPerSecond: Double, averageBatch: Int) {
        let writer = GroupCommitWriter(environment: environment)
        defer { writer.close() }
        let callers = groupCommitCallers
        let writesPerCaller = writesPerCaller
        let elapsed = try await ContinuousClock().measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<callers {
                    group.addTask {
                        for offset in 0..<writesPerCaller {
                            let key = self.key(10_000_000 + caller * writesPerCaller + offset)
                            try await writer.write { txn in try txn.put(value, for: key, in: database) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let statistics = writer.statistics
        return (
            Double(statistics.committedWrites) / elapsed.seconds,
            Double(statistics.committedBatches) / elapsed.seconds,
            statistics.committedWrites / max(statistics.committedBatches, 1)
        )
    }

    private func timePointReads(environment: Environment, database: Database) throws -> Double {
        let keys = (0..<singleWriteTransactions).map(key)
        precondition(!keys.isEmpty, "point reads need the keys written by the single-write phase")
        var found = 0
        let elapsed = try ContinuousClock().measure {
            try environment.read { txn in
                for index in 0..<pointReads where try txn.contains(keys[index % keys.count], in: database) {
                    found += 1
                }
            }
        }
        guard found == pointReads else { throw ValidationError("point reads missed \(pointReads - found) keys") }
        return Double(pointReads) / elapsed.seconds
    }
}

/// Times fsync of 4 KiB appends to a file in the benchmark directory: the floor under a durable commit.
struct FsyncProbe {
    let directory: String
    static let appendBytes = 4_096

    func measure(samples: Int) throws -> (median: Duration, p99: Duration) {
        precondition(samples > 0, "fsync samples must be positive")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/fsync-probe"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { throw ValidationError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer {
            close(descriptor)
            unlink(path)
        }
        let block = [UInt8](repeating: 0x5A, count: Self.appendBytes)
        let clock = ContinuousClock()
        var durations: [Duration] = []
        durations.reserveCapacity(samples)
        for _ in 0..<samples {
            let start = clock.now
            let written = block.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            guard written == block.count, fsync(descriptor) == 0 else {
                throw ValidationError("write+fsync failed: \(String(cString: strerror(errno)))")
            }
            durations.append(clock.now - start)
        }
        durations.sort()
        return (durations[samples / 2], durations[min(samples - 1, samples * 99 / 100)])
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var milliseconds: String { String(format: "%.3f", seconds * 1_000) }
}
