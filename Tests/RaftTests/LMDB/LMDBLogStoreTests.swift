import RaftCore
import RaftNode
import Storage
import TestSupport
import Testing

@Suite("LMDB log store")
struct LMDBLogStoreTests {
    /// Each store gets its own environment under the test's directory; `reopen` opens the same files again,
    /// as a restarted node would, and reads everything back through the new environment.
    @Test("the LMDB store keeps the log store contract", arguments: LogStoreContract.checks)
    func contract(_ check: LogStoreContractCheck) async throws {
        try await TemporaryDirectory.with("lmdb-log") { directory in
            let fixture = LogStoreFixture(
                make: {
                    let path = directory.appending("env-\(UInt64.random(in: 0 ... .max))")
                    return try LMDBLogStore(environment: Environment(path: path))
                },
                reopen: { store in
                    guard let lmdb = store as? LMDBLogStore else {
                        preconditionFailure("the LMDB fixture made another store")
                    }
                    return try LMDBLogStore(environment: Environment(path: lmdb.environment.path))
                })
            try check.run(fixture)
        }
    }

    @Test("a damaged entry record is reported as corruption, not trusted")
    func damagedRecordIsReported() async throws {
        try await TemporaryDirectory.with("lmdb-log-corrupt") { directory in
            let environment = try Environment(path: directory.path)
            let store = try LMDBLogStore(environment: environment)
            try store.persist(hardState: nil, entries: [Entry(index: 1, term: 1, kind: .normal, payload: [1, 2])])
            let log = try environment.openDatabase("raft.log")
            try environment.write { txn in try txn.put([0, 0, 1], for: .bigEndian(LogIndex(1)), in: log) }
            #expect(throws: (any Error).self) { try store.entries(in: 1...1, maxBytes: .max) }
            #expect(throws: (any Error).self) { try store.term(at: 1) }
            try environment.write { txn in
                try txn.put([0, 0, 0, 0, 0, 0, 0, 1, 99], for: .bigEndian(LogIndex(1)), in: log)
            }
            let error = #expect(throws: (any Error).self) { try store.entries(in: 1...1, maxBytes: .max) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("unknown kind 99"))
        }
    }
}
