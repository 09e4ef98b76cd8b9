import Foundation

/// A client command of the simulated key-value service, with the client id and sequence number that
/// make a retried command apply once.
struct KeyValueCommand: Equatable, CustomStringConvertible {
    enum Operation: Equatable {
        case put(String)
        case append(String)
        case get
    }

    let clientID: Int
    let sequence: Int
    let key: String
    let operation: Operation

    var payload: [UInt8] {
        let (name, value) =
            switch operation {
            case .put(let value): ("put", value)
            case .append(let value): ("append", value)
            case .get: ("get", "")
            }
        return Array("\(clientID)|\(sequence)|\(name)|\(key)|\(value)".utf8)
    }

    init(clientID: Int, sequence: Int, key: String, operation: Operation) {
        self.clientID = clientID
        self.sequence = sequence
        self.key = key
        self.operation = operation
    }

    /// Decodes a payload written by `payload`; nil for anything else.
    init?(payload: [UInt8]) {
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 5, let clientID = Int(fields[0]), let sequence = Int(fields[1]) else { return nil }
        let value = String(fields[4])
        let operation: Operation
        switch fields[2] {
        case "put": operation = .put(value)
        case "append": operation = .append(value)
        case "get": operation = .get
        default: return nil
        }
        self.init(clientID: clientID, sequence: sequence, key: String(fields[3]), operation: operation)
    }

    var description: String { "c\(clientID)#\(sequence) \(operation) \(key)" }
}

/// The replicated state machine of the simulation: a map of strings with client sessions.
struct KeyValueStateMachine {
    struct OperationID: Hashable {
        let clientID: Int
        let sequence: Int
    }

    private(set) var values: [String: String] = [:]
    /// Per client, the last sequence applied and its result (Raft thesis §6.3).
    private var sessions: [Int: (sequence: Int, result: String)] = [:]
    /// How many times each command took effect; the simulator requires exactly once for acknowledged ones.
    private(set) var effectCounts: [OperationID: Int] = [:]

    /// Applies a command and returns its result; a duplicate returns the first result without effect.
    mutating func apply(_ command: KeyValueCommand) -> String {
        if let session = sessions[command.clientID], command.sequence <= session.sequence {
            return command.sequence == session.sequence ? session.result : ""
        }
        let result: String
        switch command.operation {
        case .put(let value):
            values[command.key] = value
            result = "ok"
        case .append(let value):
            values[command.key, default: ""] += value
            result = "ok"
        case .get:
            result = values[command.key] ?? ""
        }
        sessions[command.clientID] = (command.sequence, result)
        effectCounts[OperationID(clientID: command.clientID, sequence: command.sequence), default: 0] += 1
        return result
    }

    /// The whole state as snapshot bytes (JSON with sorted keys, so equal states give equal bytes).
    var snapshotBytes: [UInt8] {
        let image = SnapshotImage(
            values: values,
            sessions: sessions.mapValues { SnapshotImage.Session(sequence: $0.sequence, result: $0.result) },
            effects: effectCounts.map {
                SnapshotImage.Effect(clientID: $0.key.clientID, sequence: $0.key.sequence, count: $0.value)
            }
            .sorted { ($0.clientID, $0.sequence) < ($1.clientID, $1.sequence) }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let data = try? encoder.encode(image) else { preconditionFailure("a state machine image always encodes") }
        return Array(data)
    }

    /// Rebuilds a state machine from `snapshotBytes`; nil for anything else.
    init?(snapshotBytes: [UInt8]) {
        guard let image = try? JSONDecoder().decode(SnapshotImage.self, from: Data(snapshotBytes)) else { return nil }
        values = image.values
        sessions = image.sessions.mapValues { ($0.sequence, $0.result) }
        effectCounts = Dictionary(
            uniqueKeysWithValues: image.effects.map {
                (OperationID(clientID: $0.clientID, sequence: $0.sequence), $0.count)
            })
    }

    init() {}

    private struct SnapshotImage: Codable {
        struct Session: Codable {
            let sequence: Int
            let result: String
        }

        struct Effect: Codable {
            let clientID: Int
            let sequence: Int
            let count: Int
        }

        let values: [String: String]
        let sessions: [Int: Session]
        let effects: [Effect]
    }
}
