import RaftCore
import RaftNode
import Storage

/// A state machine for runtime tests that makes double or skipped application visible: each command
/// `key=value` appends `value` to the list under `key`, and the result is the list's new length.
struct AppendingStateMachine: ReplicatedStateMachine {
    let database: Database

    init(environment: Environment) throws {
        database = try environment.openDatabase("test.lists")
    }

    func apply(_ command: [UInt8], at index: LogIndex, in txn: borrowing WriteTransaction) throws -> [UInt8] {
        guard let separator = command.firstIndex(of: UInt8(ascii: "=")) else { return Array("malformed".utf8) }
        let key = Array(command[..<separator])
        var list = try txn.get(key, in: database) ?? []
        if !list.isEmpty { list.append(UInt8(ascii: ",")) }
        list.append(contentsOf: command[(separator + 1)...])
        try txn.put(list, for: key, in: database)
        return Array("\(list.split(separator: UInt8(ascii: ",")).count)".utf8)
    }

    var snapshotDatabases: [Database] { [database] }

    func values(of key: String, in environment: Environment) throws -> [String] {
        try environment.read { txn in
            (try txn.get(Array(key.utf8), in: database) ?? []).split(separator: UInt8(ascii: ",")).map {
                String(decoding: $0, as: UTF8.self)
            }
        }
    }
}
