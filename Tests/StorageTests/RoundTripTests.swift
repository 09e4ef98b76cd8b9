import Foundation
import Storage
import TestSupport
import Testing

@Suite("Storage: round trips")
struct RoundTripTests {
    @Test("a value put is read back, replaced by a later put, and gone after delete")
    func putGetReplaceDelete() async throws {
        try await EnvironmentFixture.with("roundtrip") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            try env.write { txn in try txn.put(bytes("v1"), for: bytes("k"), in: db) }
            #expect(try fixture.value("k") == "v1")
            try env.write { txn in try txn.put(bytes("v2"), for: bytes("k"), in: db) }
            #expect(try fixture.value("k") == "v2")
            #expect(try env.write { txn in try txn.delete(bytes("k"), in: db) })
            #expect(try fixture.value("k") == nil)
            #expect(try env.write { txn in try txn.delete(bytes("k"), in: db) } == false)
        }
    }

    @Test("insert refuses to overwrite and changes nothing")
    func insertDoesNotOverwrite() async throws {
        try await EnvironmentFixture.with("insert") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            #expect(try env.write { txn in try txn.insert(bytes("first"), for: bytes("k"), in: db) })
            #expect(try env.write { txn in try txn.insert(bytes("second"), for: bytes("k"), in: db) } == false)
            #expect(try fixture.value("k") == "first")
        }
    }

    @Test("named databases hold separate keys and count their own entries")
    func namedDatabasesAreSeparate() async throws {
        try await EnvironmentFixture.with("named") { fixture throws in
            let env = fixture.environment
            let grants = try env.openDatabase("grants")
            let audit = try env.openDatabase("audit")
            try env.write { txn in
                try txn.put(bytes("g"), for: bytes("same-key"), in: grants)
                try txn.put(bytes("a"), for: bytes("same-key"), in: audit)
                try txn.put(bytes("a2"), for: bytes("other"), in: audit)
            }
            try env.read { txn throws in
                #expect(try text(txn.get(bytes("same-key"), in: grants)) == "g")
                #expect(try text(txn.get(bytes("same-key"), in: audit)) == "a")
                #expect(try txn.count(in: grants) == 1)
                #expect(try txn.count(in: audit) == 2)
            }
        }
    }

    @Test("a write whose body throws is aborted: none of its writes are kept")
    func throwingBodyAborts() async throws {
        struct Refused: Error {}
        try await EnvironmentFixture.with("abort") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            #expect(throws: Refused.self) {
                try env.write { txn in
                    try txn.put(bytes("half"), for: bytes("k1"), in: db)
                    throw Refused()
                }
            }
            #expect(try fixture.count() == 0)
        }
    }

    @Test("a nested transaction that throws undoes only its own writes")
    func nestedFailureIsContained() async throws {
        struct Refused: Error {}
        try await EnvironmentFixture.with("nested") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            try env.write { txn in
                try txn.put(bytes("outer"), for: bytes("outer"), in: db)
                #expect(throws: Refused.self) {
                    try txn.nested { child in
                        try child.put(bytes("inner"), for: bytes("inner"), in: db)
                        throw Refused()
                    }
                }
                try txn.nested { child in try child.put(bytes("kept"), for: bytes("kept"), in: db) }
            }
            try env.read { txn throws in
                #expect(try txn.get(bytes("inner"), in: db) == nil)
                #expect(try text(txn.get(bytes("outer"), in: db)) == "outer")
                #expect(try text(txn.get(bytes("kept"), in: db)) == "kept")
            }
        }
    }

    @Test("writes survive closing and reopening the environment")
    func reopenKeepsData() async throws {
        let directory = try TemporaryDirectory("reopen")
        defer { directory.remove() }
        do {
            let env = try Environment(path: directory.path)
            let db = try env.openDatabase("d")
            try env.write { txn in try txn.put(bytes("kept"), for: bytes("k"), in: db) }
        }
        let env = try Environment(path: directory.path)
        let db = try env.openDatabase("d", create: false)
        let value = try env.read { txn in try text(txn.get(bytes("k"), in: db)) }
        #expect(value == "kept")
    }

    @Test("data files are readable by their owner only")
    func filesAreOwnerOnly() async throws {
        try await EnvironmentFixture.with("mode") { fixture throws in
            let attributes = try FileManager.default.attributesOfItem(atPath: fixture.environment.path + "/data.mdb")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }
}
