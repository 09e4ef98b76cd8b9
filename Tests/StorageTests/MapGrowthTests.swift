import Storage
import Testing

@Suite("Storage: map growth")
struct MapGrowthTests {
    static let tinyMapBytes = 64 << 10

    @Test("writes far beyond a tiny map succeed because the map grows")
    func growsFromTinyMap() async throws {
        let options = EnvironmentOptions(initialMapSizeBytes: Self.tinyMapBytes, durability: .noSync)
        try await EnvironmentFixture.with("grow", options: options) { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            let value = [UInt8](repeating: 7, count: 4_000)
            // One transaction larger than the initial map, then many small ones.
            try env.write { txn in
                for index in 0..<100 { try txn.put(value, for: bytes("big-\(index)"), in: db) }
            }
            for index in 0..<200 {
                try env.write { txn in try txn.put(value, for: bytes("small-\(index)"), in: db) }
            }
            #expect(env.mapSizeBytes > Self.tinyMapBytes)
            #expect(try fixture.count() == 300)
            let stored = try env.read { txn in try txn.get(bytes("big-99"), in: db) }
            #expect(stored == value)
        }
    }

    @Test("a write beyond maxMapSizeBytes fails with mapSizeLimitReached and keeps nothing")
    func refusesBeyondLimit() async throws {
        let options = EnvironmentOptions(
            initialMapSizeBytes: Self.tinyMapBytes, maxMapSizeBytes: 4 * Self.tinyMapBytes, durability: .noSync)
        try await EnvironmentFixture.with("grow-limit", options: options) { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            let value = [UInt8](repeating: 7, count: 4_000)
            let error = #expect(throws: StorageError.self) {
                try env.write { txn in
                    for index in 0..<200 { try txn.put(value, for: bytes("k-\(index)"), in: db) }
                }
            }
            #expect(error?.kind == .mapSizeLimitReached(limitBytes: 4 * Self.tinyMapBytes))
            #expect(env.mapSizeBytes == 4 * Self.tinyMapBytes)
            #expect(try fixture.count() == 0)
            // A write that fits still succeeds afterwards.
            try env.write { txn in try txn.put(value, for: bytes("fits"), in: db) }
            #expect(try fixture.count() == 1)
        }
    }

    @Test("the group-commit writer grows the map too, and every caller's write lands")
    func groupCommitGrows() async throws {
        let options = EnvironmentOptions(initialMapSizeBytes: Self.tinyMapBytes, durability: .noSync)
        try await EnvironmentFixture.with("grow-group", options: options) { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            let writer = GroupCommitWriter(environment: env)
            defer { writer.close() }
            let value = [UInt8](repeating: 9, count: 2_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<32 {
                    group.addTask {
                        for index in 0..<20 {
                            try await writer.write { txn in
                                try txn.put(value, for: bytes("c\(caller)-\(index)"), in: db)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try fixture.count() == 640)
            #expect(env.mapSizeBytes > Self.tinyMapBytes)
        }
    }
}
