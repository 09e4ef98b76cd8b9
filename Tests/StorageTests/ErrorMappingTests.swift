import Foundation
import Storage
import TestSupport
import Testing

@Suite("Storage: errors name the operation and carry LMDB's message")
struct ErrorMappingTests {
    @Test("opening a missing database without create names it and says LMDB's MDB_NOTFOUND")
    func missingDatabase() async throws {
        try await EnvironmentFixture.with("err-db") { fixture throws in
            let error = #expect(throws: StorageError.self) {
                try fixture.environment.openDatabase("absent", create: false)
            }
            #expect(error?.kind == .lmdb(code: -30798))
            #expect(error?.operation == "open absent")
            #expect(error?.message.contains("MDB_NOTFOUND") == true)
            #expect(error?.description.contains("open absent failed") == true)
        }
    }

    @Test("a key longer than LMDB allows is refused with MDB_BAD_VALSIZE and nothing is written")
    func oversizedKey() async throws {
        try await EnvironmentFixture.with("err-key") { fixture throws in
            let (env, db) = (fixture.environment, fixture.database)
            let error = #expect(throws: StorageError.self) {
                try env.write { txn in try txn.put(bytes("v"), for: [UInt8](repeating: 1, count: 4_096), in: db) }
            }
            #expect(error?.operation == "put into database test")
            #expect(error?.message.contains("MDB_BAD_VALSIZE") == true)
            #expect(try fixture.count() == 0)
        }
    }

    @Test("opening an environment where a file stands names the path")
    func environmentOnAFile() async throws {
        let directory = try TemporaryDirectory("err-env")
        defer { directory.remove() }
        let file = directory.appending("not-a-directory")
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let error = #expect(throws: StorageError.self) { try Environment(path: file) }
        #expect(error?.description.contains(file) == true)
    }
}
