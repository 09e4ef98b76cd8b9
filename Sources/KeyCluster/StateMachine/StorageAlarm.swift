/// A member's report that it is past a storage bound, kept in the replicated state so that every member
/// applies the same rule to the same entries: while any alarm stands, capped commands are refused at apply
/// (and at the door, before they reach the log). Raised and cleared by the member it names (or, for a
/// member no longer in the cluster, cleared by the leader).
public struct StorageAlarm: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// The replicated state reached `quota.maxStateBytes`.
        case stateQuota
        /// The member's free disk space fell below `quota.freeDiskReserveBytes`.
        case diskReserve
    }

    public var member: UInt64
    public var kind: Kind

    public init(member: UInt64, kind: Kind) {
        self.member = member
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .stateQuota: "member \(member): state size reached quota.maxStateBytes"
        case .diskReserve: "member \(member): free disk below quota.freeDiskReserveBytes"
        }
    }

    /// The key the alarm is stored under: one record per member and kind.
    var storageKey: [UInt8] { Array("\(member)/\(kind.rawValue)".utf8) }
}

/// A replicated change to the standing alarms.
package enum StorageAlarmChange: Codable, Sendable, Equatable {
    case raise(StorageAlarm)
    case clear(StorageAlarm)
}

extension ServiceCommand {
    /// Whether standing storage alarms refuse this command. Revocations and suspensions take access away
    /// and must pass on a full disk; so do an operator's ownership recovery (one grant, and the way back
    /// into a car) and the alarm changes themselves (clearing one frees the cluster).
    var isCappedByStorageAlarms: Bool {
        switch self {
        case .domain(let command):
            switch command {
            // An operator's ownership recovery is how an owner gets back in: never blocked either.
            case .revoke, .suspend, .forceRevoke, .recoverOwnership: false
            case .registerVehicle, .grant, .resume: true
            }
        case .debugPut, .debugIncrement: true
        case .storageAlarm, .withdrawSigner: false
        }
    }
}
