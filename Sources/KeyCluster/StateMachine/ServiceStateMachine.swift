import Foundation
import RaftCore
import RaftNode
import Storage

/// The service's replicated state in the node's LMDB environment: applies committed `ServiceCommand`s.
///
/// Every decision depends only on the command and the state in the transaction — never on the clock or
/// the node — so every member reaches the same state and answers the same way.
package struct ServiceStateMachine: ReplicatedStateMachine {
    let debugValues: Database
    let authorizations: KeyAuthorizationStore
    /// The standing storage alarms, one record per member and kind (`StorageAlarm.storageKey`).
    let alarms: Database
    /// Token-signing certificates withdrawn before their end, by fingerprint (`SignerWithdrawal`).
    let withdrawnSigners: Database
    /// Commands applied since start, for the status page's write rate (not replicated state).
    let counters: ServiceCounters

    /// Longest key accepted by the debug key/value namespace (LMDB keys are at most 511 bytes).
    static let maxDebugKeyBytes = 256

    package init(environment: Environment, counters: ServiceCounters = ServiceCounters()) throws {
        self.counters = counters
        debugValues = try environment.openDatabase("debug.kv")
        authorizations = try KeyAuthorizationStore(environment: environment)
        alarms = try environment.openDatabase("service.alarms")
        withdrawnSigners = try environment.openDatabase("service.withdrawnSigners")
    }

    package func apply(_ command: [UInt8], at index: LogIndex, in txn: borrowing WriteTransaction) throws -> [UInt8] {
        let result: ServiceResult
        var grantJSON: [UInt8]?
        do {
            result = try apply(ServiceCommand(decoding: command), at: index, in: txn, grantJSON: &grantJSON)
        } catch let error as DecodingError {
            result = .refused(reason: "undecodable command: \(error)")
        }
        counters.writeApplied()
        return try result.encoded(grantJSON: grantJSON)
    }

    /// `grantJSON`: set to the changed grant's stored bytes when a domain command wrote them.
    private func apply(
        _ command: ServiceCommand, at index: LogIndex, in txn: borrowing WriteTransaction, grantJSON: inout [UInt8]?
    ) throws -> ServiceResult {
        if command.isCappedByStorageAlarms {
            let standing = try standingAlarms(in: txn)
            if !standing.isEmpty { return .noSpace(alarms: standing) }
        }
        switch command {
        case .storageAlarm(.raise(let alarm)):
            try txn.put(try DomainCoding.encode(alarm), for: alarm.storageKey, in: alarms)
            return .done
        case .storageAlarm(.clear(let alarm)):
            _ = try txn.delete(alarm.storageKey, in: alarms)
            return .done
        case .withdrawSigner(let withdrawal):
            return try withdraw(withdrawal, in: txn)
        case .domain(let command):
            let applied = try authorizations.applyEncoded(command, at: index, in: txn)
            grantJSON = applied.grantJSON
            return .domain(applied.result)
        case .debugPut(let key, let value):
            guard !key.isEmpty, key.utf8.count <= Self.maxDebugKeyBytes else { return .refused(reason: "key length") }
            try txn.put(Array(value.utf8), for: Array(key.utf8), in: debugValues)
            return .done
        case .debugIncrement(let key):
            guard !key.isEmpty, key.utf8.count <= Self.maxDebugKeyBytes else { return .refused(reason: "key length") }
            let counterKey = Array("counter/\(key)".utf8)
            let current =
                try txn.get(counterKey, in: debugValues).flatMap { UInt64(String(decoding: $0, as: UTF8.self)) } ?? 0
            try txn.put(Array("\(current + 1)".utf8), for: counterKey, in: debugValues)
            return .counter(value: current + 1)
        }
    }

    package var snapshotDatabases: [Database] { [debugValues, alarms, withdrawnSigners] + authorizations.databases }

    /// Records a withdrawal (again: no change), first dropping those whose certificates ended before it was
    /// made — the command's time, not a clock, so every member keeps the same list. Refused past
    /// `DomainLimits.maxWithdrawnSigners` current withdrawals (the key list carries them all).
    private func withdraw(_ withdrawal: SignerWithdrawal, in txn: borrowing WriteTransaction) throws -> ServiceResult {
        var current = 0
        var ended: [[UInt8]] = []
        for stored in try signerWithdrawals(in: txn) {
            if stored.isCurrent(atUnixMs: withdrawal.atUnixMs) { current += 1 } else { ended.append(stored.storageKey) }
        }
        for key in ended { _ = try txn.delete(key, in: withdrawnSigners) }
        if try txn.contains(withdrawal.storageKey, in: withdrawnSigners) { return .done }
        guard current < DomainLimits.maxWithdrawnSigners else {
            return .refused(
                reason:
                    "\(DomainLimits.maxWithdrawnSigners) signing certificates are withdrawn and not yet expired: renew the CA instead"
            )
        }
        try txn.put(try DomainCoding.encode(withdrawal), for: withdrawal.storageKey, in: withdrawnSigners)
        return .done
    }

    /// Every stored withdrawal, in fingerprint order (some may have ended: see `SignerWithdrawal.isCurrent`).
    func signerWithdrawals<A>(in txn: borrowing Transaction<A>) throws -> [SignerWithdrawal] {
        var withdrawals: [SignerWithdrawal] = []
        try txn.scan(withdrawnSigners) { _, value in
            guard let withdrawal = try? DomainCoding.decode(SignerWithdrawal.self, from: value) else {
                throw SignerWithdrawalRecordCorrupt()
            }
            withdrawals.append(withdrawal)
            return .proceed
        }
        return withdrawals
    }

    /// Fingerprints of the signing certificates withdrawn and not yet expired at `nowUnixMs`.
    func withdrawnFingerprints<A>(atUnixMs nowUnixMs: Int64, in txn: borrowing Transaction<A>) throws -> [String] {
        try signerWithdrawals(in: txn).filter { $0.isCurrent(atUnixMs: nowUnixMs) }.map(\.fingerprint)
    }

    /// The alarms standing in the state `txn` sees, in key order.
    func standingAlarms<A>(in txn: borrowing Transaction<A>) throws -> [StorageAlarm] {
        var standing: [StorageAlarm] = []
        try txn.scan(alarms) { _, value in
            // Written only by `apply` from a decoded alarm: undecodable bytes are a corrupt store.
            guard let alarm = try? DomainCoding.decode(StorageAlarm.self, from: value) else {
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
