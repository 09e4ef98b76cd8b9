import Foundation
import Storage
import Testing

@Suite("Storage: readers keep a stable view")
struct ReaderIsolationTests {
    /// How long a test waits for another thread before failing instead of hanging.
    static let waitDeadlineSeconds = 30.0

    @Test("a read transaction keeps its snapshot while a writer on another thread commits")
    func readerSeesStableSnapshot() async throws {
        try await EnvironmentFixture.with("isolation") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            try env.write { txn in try txn.put(bytes("before"), for: bytes("k"), in: db) }
            let committed = DispatchSemaphore(value: 0)
            try env.read { snapshot throws in
                #expect(try text(snapshot.get(bytes("k"), in: db)) == "before")
                // The writer runs on its own thread while this snapshot stays open.
                Thread {
                    try? env.write { txn in
                        try txn.put(bytes("after"), for: bytes("k"), in: db)
                        try txn.put(bytes("new"), for: bytes("added"), in: db)
                    }
                    committed.signal()
                }.start()
                #expect(committed.wait(timeout: .now() + Self.waitDeadlineSeconds) == .success)
                #expect(try text(snapshot.get(bytes("k"), in: db)) == "before")
                #expect(try snapshot.get(bytes("added"), in: db) == nil)
                #expect(try snapshot.count(in: db) == 1)
            }
            try env.read { fresh throws in
                #expect(try text(fresh.get(bytes("k"), in: db)) == "after")
                #expect(try fresh.count(in: db) == 2)
            }
        }
    }

    @Test("many concurrent readers each see a whole commit, never half of one")
    func concurrentReadersSeeWholeCommits() async throws {
        try await EnvironmentFixture.with("isolation-many") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            let writer = GroupCommitWriter(environment: env)
            defer { writer.close() }
            /// Each commit sets both keys to the same generation; a reader must never see them differ.
            let generations = 200
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for generation in 1...generations {
                        try await writer.write { txn in
                            try txn.put(bytes("\(generation)"), for: bytes("left"), in: db)
                            try txn.put(bytes("\(generation)"), for: bytes("right"), in: db)
                        }
                    }
                }
                for _ in 0..<4 {
                    group.addTask {
                        var lastSeen = 0
                        while lastSeen < generations {
                            let (left, right) = try env.read { txn throws in
                                (try text(txn.get(bytes("left"), in: db)), try text(txn.get(bytes("right"), in: db)))
                            }
                            #expect(left == right)
                            let seen = left.flatMap(Int.init) ?? 0
                            #expect(seen >= lastSeen, "a later snapshot went back in time")
                            lastSeen = seen
                            await Task.yield()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
