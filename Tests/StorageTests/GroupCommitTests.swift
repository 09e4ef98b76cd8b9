import Foundation
import Storage
import TestSupport
import Testing

@Suite("Storage: group commit")
struct GroupCommitTests {
    static let waitDeadlineSeconds = 30.0

    @Test("many concurrent callers' writes are all durable, in fewer commits than writes")
    func manyCallersShareCommits() async throws {
        try await EnvironmentFixture.with("group", options: EnvironmentOptions()) { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            let writer = GroupCommitWriter(environment: env)
            defer { writer.close() }
            let callers = 128
            let writesPerCaller = 10
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for caller in 0..<callers {
                    group.addTask {
                        var answers: [Int] = []
                        for index in 0..<writesPerCaller {
                            answers.append(
                                try await writer.write { txn in
                                    try txn.put(bytes("\(caller)"), for: bytes("c\(caller)-\(index)"), in: db)
                                    return caller * 1_000 + index
                                })
                        }
                        return answers
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            // Every caller got its own body's result back.
            let expected: [Int] = (0..<callers).flatMap { caller in (0..<writesPerCaller).map { caller * 1_000 + $0 } }
            #expect(results.sorted() == expected)
            #expect(try fixture.count() == callers * writesPerCaller)
            let statistics = writer.statistics
            #expect(statistics.committedWrites == callers * writesPerCaller)
            #expect(statistics.committedBatches < statistics.committedWrites, "no two writes shared a commit")
            #expect(statistics.failedWrites == 0)
        }
    }

    @Test("a caller whose body throws gets its error; the others in its batch commit")
    func failingBodyIsIsolated() async throws {
        struct Refused: Error, Equatable { let caller: Int }
        try await EnvironmentFixture.with("group-fail") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            let writer = GroupCommitWriter(environment: env)
            defer { writer.close() }
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for caller in 0..<40 {
                    group.addTask {
                        do {
                            try await writer.write { txn in
                                try txn.put(bytes("x"), for: bytes("k\(caller)"), in: db)
                                if caller % 4 == 0 { throw Refused(caller: caller) }
                            }
                            return (caller, true)
                        } catch {
                            #expect(error as? Refused == Refused(caller: caller))
                            return (caller, false)
                        }
                    }
                }
                return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            for caller in 0..<40 {
                #expect(outcomes[caller] == (caller % 4 != 0))
                #expect(try fixture.value("k\(caller)") == (caller % 4 != 0 ? "x" : nil))
            }
        }
    }

    @Test("a full queue refuses new writes at once; queued ones still commit")
    func fullQueueRefuses() async throws {
        try await EnvironmentFixture.with("group-full") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            let writer = GroupCommitWriter(environment: env, limits: .init(maxQueuedWrites: 2, maxBatchWrites: 1))
            defer { writer.close() }
            let started = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            // The first write holds the writer thread, so the next two stay queued.
            let blocker = Task {
                try await writer.write { txn in
                    started.signal()
                    _ = release.wait(timeout: .now() + Self.waitDeadlineSeconds)
                    try txn.put(bytes("1"), for: bytes("blocker"), in: db)
                }
            }
            #expect(started.wait(timeout: .now() + Self.waitDeadlineSeconds) == .success)
            let queued = (0..<2).map { index in
                Task {
                    try await writer.write { txn in try txn.put(bytes("1"), for: bytes("queued-\(index)"), in: db) }
                }
            }
            try await waitUntil { writer.queuedWrites == 2 }
            let error = await #expect(throws: StorageError.self) {
                try await writer.write { txn in try txn.put(bytes("1"), for: bytes("refused"), in: db) }
            }
            #expect(error?.kind == .writerQueueFull(limitWrites: 2))
            release.signal()
            try await blocker.value
            for task in queued { try await task.value }
            try env.read { txn throws in
                #expect(try txn.count(in: db) == 3)
                #expect(try !txn.contains(bytes("refused"), in: db))
            }
        }
    }

    @Test("close commits what is queued, then refuses new writes")
    func closeDrainsThenRefuses() async throws {
        try await EnvironmentFixture.with("group-close") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            let writer = GroupCommitWriter(environment: env)
            let pending = (0..<50).map { index in
                Task { try await writer.write { txn in try txn.put(bytes("v"), for: bytes("k\(index)"), in: db) } }
            }
            try await waitUntil { writer.statistics.committedWrites + writer.queuedWrites == 50 }
            writer.close()
            for task in pending { try await task.value }
            #expect(try fixture.count() == 50)
            let error = await #expect(throws: StorageError.self) {
                try await writer.write { txn in try txn.put(bytes("v"), for: bytes("late"), in: db) }
            }
            #expect(error?.kind == .writerClosed)
        }
    }
}
