import Storage
import Testing

@Suite("Storage: ordered scans")
struct ScanTests {
    /// Keys chosen to probe the edges: a shared prefix, a 0xFF byte, and keys just around the bounds.
    static let keys: [[UInt8]] = [
        bytes("a"), bytes("ab"), bytes("abc"), bytes("abd"), bytes("b"), [0x62, 0xFF], [0x62, 0xFF, 0x01], bytes("c"),
    ]

    func withPopulated(_ body: (Environment, Database) throws -> Void) async throws {
        try await EnvironmentFixture.with("scan") { fixture throws in
            try fixture.environment.write { txn in
                for key in Self.keys.shuffled() { try txn.put(key, for: key, in: fixture.database) }
            }
            try body(fixture.environment, fixture.database)
        }
    }

    func scannedKeys(_ env: Environment, _ db: Database, _ range: KeyRange, reverse: Bool = false, limit: Int = .max)
        throws -> [[UInt8]]
    {
        try env.read { txn in try txn.entries(db, range, reverse: reverse, limit: limit).map(\.key) }
    }

    @Test("a full scan visits every key in byte order, and reverse in reverse order")
    func fullScan() async throws {
        try await withPopulated { env, db throws in
            #expect(try scannedKeys(env, db, .all) == Self.keys)
            #expect(try scannedKeys(env, db, .all, reverse: true) == Self.keys.reversed())
        }
    }

    @Test("a from/to range includes its lower bound and excludes its upper bound, both directions")
    func boundedRange() async throws {
        try await withPopulated { env, db throws in
            let range = KeyRange(from: bytes("ab"), upTo: bytes("b"))
            #expect(try scannedKeys(env, db, range) == [bytes("ab"), bytes("abc"), bytes("abd")])
            #expect(try scannedKeys(env, db, range, reverse: true) == [bytes("abd"), bytes("abc"), bytes("ab")])
            // Bounds that fall between keys.
            let between = KeyRange(from: bytes("aa"), upTo: bytes("abz"))
            #expect(try scannedKeys(env, db, between) == [bytes("ab"), bytes("abc"), bytes("abd")])
            #expect(try scannedKeys(env, db, between, reverse: true) == [bytes("abd"), bytes("abc"), bytes("ab")])
        }
    }

    @Test("a prefix scan stops at the prefix's end, including prefixes ending in 0xFF")
    func prefixScan() async throws {
        try await withPopulated { env, db throws in
            #expect(try scannedKeys(env, db, .prefix(bytes("ab"))) == [bytes("ab"), bytes("abc"), bytes("abd")])
            #expect(try scannedKeys(env, db, .prefix([0x62, 0xFF])) == [[0x62, 0xFF], [0x62, 0xFF, 0x01]])
            #expect(
                try scannedKeys(env, db, .prefix([0x62, 0xFF]), reverse: true) == [[0x62, 0xFF, 0x01], [0x62, 0xFF]])
            #expect(try scannedKeys(env, db, .prefix(bytes("z"))).isEmpty)
            #expect(try scannedKeys(env, db, .prefix(bytes("z")), reverse: true).isEmpty)
        }
    }

    @Test("a scan honours its limit and stops when the body says so")
    func limitAndStop() async throws {
        try await withPopulated { env, db throws in
            #expect(try scannedKeys(env, db, .all, limit: 2) == [bytes("a"), bytes("ab")])
            #expect(try scannedKeys(env, db, .all, reverse: true, limit: 1) == [bytes("c")])
            #expect(try scannedKeys(env, db, .all, limit: 0).isEmpty)
            var visited = 0
            try env.read { txn throws in
                try txn.scan(db) { _, _ in
                    visited += 1
                    return visited == 3 ? .stop : .proceed
                }
            }
            #expect(visited == 3)
        }
    }

    @Test("deleting a range removes exactly its keys")
    func deleteRange() async throws {
        try await withPopulated { env, db throws in
            let removed = try env.write { txn in try txn.delete(.prefix(bytes("ab")), in: db) }
            #expect(removed == 3)
            #expect(
                try scannedKeys(env, db, .all) == [
                    bytes("a"), bytes("b"), [0x62, 0xFF], [0x62, 0xFF, 0x01], bytes("c"),
                ])
        }
    }

    @Test("a scan of an empty database visits nothing")
    func emptyDatabase() async throws {
        try await EnvironmentFixture.with("scan-empty") { fixture throws in
            #expect(try scannedKeys(fixture.environment, fixture.database, .all).isEmpty)
            #expect(try scannedKeys(fixture.environment, fixture.database, .all, reverse: true).isEmpty)
        }
    }
}
