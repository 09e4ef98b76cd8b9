import Foundation

/// A change to the service's replicated state: what a log entry's command bytes decode to.
///
/// JSON, because commands are small, decoded once per node, and must stay readable across versions: a
/// node of the next version adds cases without breaking this one (an unknown case is refused the same way
/// on every node, deterministically).
enum ServiceCommand: Codable, Sendable, Equatable {
    /// A change to the key-authorization state.
    case domain(DomainCommand)
    /// Diagnostic key/value write used by the cluster tests and benchmarks; not part of the key domain.
    case debugPut(key: String, value: String)
    /// Diagnostic counter increment: applying a command twice shows up as a count above the increments made.
    case debugIncrement(key: String)
    /// A member raises or clears a storage alarm (`StorageAlarm`).
    case storageAlarm(StorageAlarmChange)
    /// An operator withdraws a token-signing certificate (`SignerWithdrawal`).
    case withdrawSigner(SignerWithdrawal)
}

/// The answer of the state machine to one command, returned to the proposer.
enum ServiceResult: Codable, Sendable, Equatable {
    case done
    case counter(value: UInt64)
    case domain(DomainResult)
    case refused(reason: String)
    /// Refused because storage alarms stand: the cluster takes no new writes until they clear.
    case noSpace(alarms: [StorageAlarm])
}

extension ServiceCommand {
    /// The command bytes of a log entry, as `CommandProposer` proposes them.
    func encoded() throws -> [UInt8] { Array(try JSONEncoder().encode(self)) }
}

extension ServiceResult {
    /// The state machine's answer, as the proposer reads it back.
    init(decoding bytes: [UInt8]) throws { self = try JSONDecoder().decode(ServiceResult.self, from: Data(bytes)) }
}
