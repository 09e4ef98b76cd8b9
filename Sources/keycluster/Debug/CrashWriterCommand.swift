import ArgumentParser
import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// Commits numbered transactions in an endless loop and prints `durable N` after each commit returns, so a
/// test can SIGKILL it at any moment and check that every reported transaction survived whole.
///
/// Each transaction `n` writes `writesPerTransaction` entries; every value describes itself (its transaction,
/// its position, the transaction's size, and a filler derived from both), so a checker can tell a whole
/// transaction from a partial or corrupted one without knowing anything else.
struct CrashWriterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-writer",
        abstract: "Commit numbered transactions until killed, reporting each durable one on stdout."
    )

    @Option(help: "Directory of the LMDB environment.")
    var dataDir: String

    @Option(help: "Entries written by each transaction.")
    var writesPerTransaction = 20

    @Option(help: "Concurrent callers of the group-commit writer; 0 writes directly, one transaction at a time.")
    var groupCommitCallers = 0

    @Option(help: "Stop after this many transactions (the test kills the process long before).")
    var maxTransactions = 1_000_000

    @Option(
        help:
            "immediate (data and meta page synced before a commit returns) or deferred (the meta page with the next commit)."
    )
    var commitDurability: CommitDurabilityArgument = .immediate

    func run() async throws {
        guard writesPerTransaction > 0, groupCommitCallers >= 0, maxTransactions > 0 else {
            throw ValidationError("counts must be positive")
        }
        // A small map makes the writer grow it while being killed, which is part of what is tested.
        let environment = try Environment(path: dataDir, options: EnvironmentOptions(initialMapSizeBytes: 256 << 10))
        let database = try environment.openDatabase("crash")
        let workload = NumberedTransactions(database: database, writesPerTransaction: writesPerTransaction)
        if groupCommitCallers == 0 {
            for number in 1...maxTransactions {
                try environment.write(durability: commitDurability.value) { txn in try workload.write(number, into: txn)
                }
                report(number)
            }
        } else {
            let writer = GroupCommitWriter(environment: environment)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<groupCommitCallers {
                    group.addTask {
                        for number in stride(from: caller + 1, through: maxTransactions, by: groupCommitCallers) {
                            try await writer.write(durability: commitDurability.value) { txn in
                                try workload.write(number, into: txn)
                            }
                            report(number)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// One line per durable transaction, written with a single `write(2)` so lines never interleave.
    private func report(_ number: Int) {
        let line = Array("durable \(number)\n".utf8)
        _ = line.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }
}

/// `--commit-durability`, in the words of `CommitDurability`.
enum CommitDurabilityArgument: String, ExpressibleByArgument, CaseIterable {
    case immediate
    case deferred

    var value: CommitDurability {
        switch self {
        case .immediate: .immediate
        case .deferred: .deferredToNextCommit
        }
    }
}

/// The self-describing entries of transaction `n` (see `CrashWriterCommand`).
struct NumberedTransactions: Sendable {
    let database: Database
    let writesPerTransaction: Int

    func write(_ number: Int, into txn: borrowing WriteTransaction) throws {
        for position in 0..<writesPerTransaction {
            let key = Array("txn-\(number)-\(position)".utf8)
            let header = Array("\(number) \(position) \(writesPerTransaction) ".utf8)
            let fillerCount = (number * 31 + position * 7) % 1_500
            let filler = [UInt8](repeating: UInt8(truncatingIfNeeded: number &+ position), count: fillerCount)
            try txn.put(header + filler, for: key, in: database)
        }
    }
}
