import Storage
import TestSupport

/// An environment in a fresh temporary directory, with one database, for one test.
struct EnvironmentFixture {
    let directory: TemporaryDirectory
    let environment: Environment
    let database: Database

    init(_ label: String, options: EnvironmentOptions = EnvironmentOptions(durability: .noSync)) throws {
        directory = try TemporaryDirectory(label)
        environment = try Environment(path: directory.appending("lmdb"), options: options)
        database = try environment.openDatabase("test")
    }

    /// The value under `key` as text, read in its own transaction.
    func value(_ key: String, in database: Database? = nil) throws -> String? {
        try environment.read { txn in try text(txn.get(bytes(key), in: database ?? self.database)) }
    }

    /// The number of entries, read in its own transaction.
    func count(in database: Database? = nil) throws -> Int {
        try environment.read { txn in try txn.count(in: database ?? self.database) }
    }

    static func with<R>(
        _ label: String, options: EnvironmentOptions = EnvironmentOptions(durability: .noSync),
        _ body: (EnvironmentFixture) async throws -> R
    ) async throws -> R {
        let fixture = try EnvironmentFixture(label, options: options)
        defer { fixture.directory.remove() }
        return try await body(fixture)
    }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
