import Foundation
import Raft
import Storage

/// The service's replicated state in the node's LMDB environment: applies committed `ServiceCommand`s.
///
/// Every decision depends only on the command and the state in the transaction — never on the clock or
/// the node — so every member reaches the same state and answers the same way.
struct ServiceStateMachine: ReplicatedStateMachine {
    let debugValues: Database
    let authorizations: KeyAuthorizationStore
    /// The standing storage alarms, one record per member and kind (`StorageAlarm.storageKey`).
    let alarms: Database

    /// Longest key accepted by the debug key/value namespace (LMDB keys are at most 511 bytes).
    static let maxDebugKeyBytes = 256

    init(environment: Environment) throws {
        debugValues = try environment.openDatabase("debug.kv")
        authorizations = try KeyAuthorizationStore(environment: environment)
        alarms = try environment.openDatabase("service.alarms")
    }

    func apply(_ command: [UInt8], at index: LogIndex, in txn: borrowing WriteTransaction) throws -> [UInt8] {
        let result: ServiceResult
        do {
            result = try apply(JSONDecoder().decode(ServiceCommand.self, from: Data(command)), at: index, in: txn)
        } catch let error as DecodingError {
            result = .refused(reason: "undecodable command: \(error)")
        }
        return Array(try JSONEncoder().encode(result))
    }

    private func apply(_ command: ServiceCommand, at index: LogIndex, in txn: borrowing WriteTransaction) throws -> ServiceResult {
        if command.isCappedByStorageAlarms {
            let standing = try standingAlarms(in: txn)
            if !standing.isEmpty { return .noSpace(alarms: standing) }
        }
        switch command {
        case .storageAlarm(.raise(let alarm)):
            try txn.put(Array(try JSONEncoder().encode(alarm)), for: alarm.storageKey, in: alarms)
            return .done
        case .storageAlarm(.clear(let alarm)):
            _ = try txn.delete(alarm.storageKey, in: alarms)
            return .done
        case .domain(let command):
            return .domain(try authorizations.apply(command, at: index, in: txn))
        case .debugPut(let key, let value):
            guard !key.isEmpty, key.utf8.count <= Self.maxDebugKeyBytes else { return .refused(reason: "key length") }
            try txn.put(Array(value.utf8), for: Array(key.utf8), in: debugValues)
            return .done
        case .debugIncrement(let key):
            guard !key.isEmpty, key.utf8.count <= Self.maxDebugKeyBytes else { return .refused(reason: "key length") }
            let counterKey = Array("counter/\(key)".utf8)
            let current = try txn.get(counterKey, in: debugValues).flatMap { UInt64(String(decoding: $0, as: UTF8.self)) } ?? 0
            try txn.put(Array("\(current + 1)".utf8), for: counterKey, in: debugValues)
            return .counter(value: current + 1)
        }
    }

    var snapshotDatabases: [Database] { [debugValues, alarms] + authorizations.databases }

    /// The alarms standing in the state `txn` sees, in key order.
    func standingAlarms<A>(in txn: borrowing Transaction<A>) throws -> [StorageAlarm] {
        var standing: [StorageAlarm] = []
        try txn.scan(alarms) { _, value in
            // Written only by `apply` from a decoded alarm: undecodable bytes are a corrupt store.
            guard let alarm = try? JSONDecoder().decode(StorageAlarm.self, from: Data(value)) else {
                throw StorageAlarmRecordCorrupt()
            }
            standing.append(alarm)
            return .proceed
        }
        return standing
    }

    func debugValue(_ key: String, in environment: Environment) throws -> String? {
        try environment.read { txn in
            try txn.get(Array(key.utf8), in: debugValues).map { String(decoding: $0, as: UTF8.self) }
        }
    }
}

/// A stored alarm record that does not decode: the store is damaged, and the write or read stops.
struct StorageAlarmRecordCorrupt: Error, CustomStringConvertible {
    var description: String { "a stored storage alarm record does not decode" }
}
