import Foundation
import Storage
import TestSupport
import Testing

/// A real child process (`keycluster debug crash-writer`) commits numbered transactions and reports each one
/// it saw committed; the test SIGKILLs it at a random moment and reopens the environment. Every reported
/// transaction must be there whole, and no transaction may be there in part.
///
/// SIGKILL leaves the page cache intact, so this proves atomicity and the write path's bookkeeping, not the
/// fsync; the storage benchmark shows the fsync (durable commits/s near 1/fsync latency).
@Suite("Storage: crash safety")
struct CrashSafetyTests {
    /// The kill lands after this many reported commits, drawn from the seed.
    static let killAfterCommits = 20...400

    @Test(
        "a writer killed with SIGKILL loses no reported transaction and leaves none half-written",
        arguments: [0, 8]
    )
    func killedWriterKeepsWholeTransactions(groupCommitCallers: Int) async throws {
        var random = SeededGenerator(seed: TestSeed.make("crash-safety callers=\(groupCommitCallers)"))
        let killAfter = Int.random(in: Self.killAfterCommits, using: &random)
        let writesPerTransaction = Int.random(in: 1...40, using: &random)
        try await TemporaryDirectory.with("crash") { directory in
            let dataDir = directory.appending("lmdb")
            let child = try ChildProcess(
                executable: try KeyClusterBinary.path(),
                arguments: [
                    "debug", "crash-writer", "--data-dir", dataDir,
                    "--writes-per-transaction", "\(writesPerTransaction)",
                    "--group-commit-callers", "\(groupCommitCallers)",
                ])
            var reported = Set<Int>()
            for await line in child.outputLines {
                guard let number = line.split(separator: " ").last.flatMap({ Int($0) }) else {
                    Issue.record("unexpected child output: \(line)")
                    break
                }
                reported.insert(number)
                if reported.count == killAfter { break }
            }
            #expect(child.kill(SIGKILL) == .signalled(SIGKILL))
            #expect(reported.count == killAfter, "the child stopped before it was killed")

            let found = try readTransactions(at: dataDir, writesPerTransaction: writesPerTransaction)
            let missing = reported.subtracting(found.keys)
            #expect(missing.isEmpty, "reported durable but missing: \(missing.sorted().prefix(10))")
            for (number, positions) in found {
                #expect(
                    positions == Set(0..<writesPerTransaction),
                    "transaction \(number) is partial: \(positions.count) of \(writesPerTransaction)")
            }
        }
    }

    /// Reads back every entry and checks that it describes itself correctly; returns the positions seen
    /// per transaction number.
    func readTransactions(at path: String, writesPerTransaction: Int) throws -> [Int: Set<Int>] {
        let environment = try Environment(path: path)
        let database = try environment.openDatabase("crash", create: false)
        var found: [Int: Set<Int>] = [:]
        try environment.read { txn throws in
            try txn.scan(database) { key, value in
                let fields = value.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
                    .prefix(3).map { Int(String(decoding: $0, as: UTF8.self)) }
                guard fields.count == 3, let number = fields[0], let position = fields[1], let size = fields[2] else {
                    Issue.record("undecodable value under \(String(decoding: key, as: UTF8.self))")
                    return .proceed
                }
                #expect(String(decoding: key, as: UTF8.self) == "txn-\(number)-\(position)")
                #expect(size == writesPerTransaction)
                let headerBytes = "\(number) \(position) \(size) ".utf8.count
                let filler = value.dropFirst(headerBytes)
                #expect(filler.count == (number * 31 + position * 7) % 1_500)
                #expect(filler.allSatisfy { $0 == UInt8(truncatingIfNeeded: number &+ position) })
                found[number, default: []].insert(position)
                return .proceed
            }
        }
        return found
    }
}

/// What a commit asks of the disk, counted at the system-call level with `strace` on a real writer: an
/// immediate commit flushes twice (its data pages, then the meta page that makes them current — a meta
/// page reaching the disk before its data would corrupt the tree), a deferred one once (its data; its meta
/// page rides in the next flush). Skipped where `strace` is missing.
@Suite("Storage: flushes per commit")
struct FlushesPerCommitTests {
    static let transactions = 40

    static let strace = ["/usr/bin/strace", "/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(
        "an immediate commit flushes its data and then its meta page; a deferred commit flushes only its data",
        .enabled(if: strace != nil, "strace is not installed"), arguments: ["immediate", "deferred"])
    func flushesPerCommit(durability: String) async throws {
        let strace = try #require(Self.strace)
        try await TemporaryDirectory.with("flushes") { directory in
            let summary = directory.appending("strace.txt")
            let child = try ChildProcess(
                executable: strace,
                arguments: [
                    "-f", "-c", "-o", summary, "-e", "trace=fsync,fdatasync,msync",
                    try KeyClusterBinary.path(), "debug", "crash-writer", "--data-dir", directory.appending("lmdb"),
                    "--max-transactions", "\(Self.transactions)", "--commit-durability", durability,
                ])
            #expect(child.waitUntilExit() == .exited(0))
            let text = try String(contentsOfFile: summary, encoding: .utf8)
            // strace -c: "% time  seconds  usecs/call  calls  errors  syscall"; the calls column, per syscall.
            let flushes = text.split(separator: "\n").reduce(0) { total, line in
                let fields = line.split(separator: " ")
                guard let name = fields.last, ["fsync", "fdatasync", "msync"].contains(name), fields.count >= 5,
                    let calls = Int(fields[3])
                else { return total }
                return total + calls
            }
            // Opening the environment and its database commits a few times more than the numbered transactions.
            let perCommit = Double(flushes) / Double(Self.transactions)
            if durability == "immediate" {
                #expect(
                    perCommit >= 2 && perCommit < 2.5, "\(flushes) flushes for \(Self.transactions) commits:\n\(text)")
            } else {
                #expect(
                    perCommit >= 1 && perCommit < 1.5, "\(flushes) flushes for \(Self.transactions) commits:\n\(text)")
            }
        }
    }
}
