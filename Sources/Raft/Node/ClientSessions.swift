import RaftCore
import Storage

/// The replicated record of each session's last applied command and its result, kept in the node's LMDB
/// environment and updated in the same transaction as the state machine, so deduplication survives crashes
/// and leader changes exactly as the state does.
///
/// Expiry is by log distance, not by clock: a session untouched for `expiryEntries` applied entries is
/// forgotten, and every member forgets it at the same index, so all stay identical. A command for a session
/// that does not exist (expired, or never registered) is refused, never applied — so an expired session can
/// never cause a second application; its client learns the outcome of its last command is unknown.
struct ClientSessions: Sendable {
    /// Applied entries after which an idle session is forgotten.
    let expiryEntries: UInt64
    /// Result bytes remembered per session; a longer result is answered once and then as empty.
    let maxResultBytes: Int
    private let sessions: Database
    /// Secondary index `lastIndex ‖ session` so expiry reads only the oldest sessions.
    private let byLastIndex: Database

    /// Sessions forgotten per applied entry at most; expiry catches up over later entries.
    static let maxExpiriesPerEntry = 16

    init(environment: Environment, expiryEntries: UInt64, maxResultBytes: Int) throws {
        precondition(expiryEntries > 0 && maxResultBytes >= 0, "session bounds must be positive")
        self.expiryEntries = expiryEntries
        self.maxResultBytes = maxResultBytes
        sessions = try environment.openDatabase("raft.sessions")
        byLastIndex = try environment.openDatabase("raft.sessions.by-index")
    }

    /// The databases a snapshot carries, so deduplication survives a snapshot install (exactly once).
    var databases: [Database] { [sessions, byLastIndex] }

    /// What to do with a command of `request`.
    enum Decision: Equatable {
        /// New: apply it.
        case apply
        /// Applied before at `index`: answer with the recorded result, do not apply again.
        case duplicate(result: [UInt8], index: LogIndex)
        /// Older than the session's last applied command: its result is gone; refuse.
        case stale
        /// The session does not exist (expired or never registered): refuse.
        case unknownSession
    }

    func decide(_ request: RequestID, in txn: borrowing WriteTransaction) throws -> Decision {
        guard let record = try record(of: request.session, in: txn) else { return .unknownSession }
        if request.sequence > record.sequence { return .apply }
        if request.sequence == record.sequence { return .duplicate(result: record.result, index: record.index) }
        return .stale
    }

    /// Opens the session registered by the entry at `index`.
    func register(at index: LogIndex, in txn: borrowing WriteTransaction) throws {
        try store(session: index, sequence: 0, result: [], at: index, in: txn)
    }

    /// Records that `request` was applied at `index` with `result`.
    func record(_ request: RequestID, result: [UInt8], at index: LogIndex, in txn: borrowing WriteTransaction) throws {
        try store(session: request.session, sequence: request.sequence, result: result, at: index, in: txn)
    }

    /// Forgets at most `maxExpiriesPerEntry` sessions idle since before `index - expiryEntries`; called once
    /// per applied entry, so one apply never does unbounded work.
    func expire(asOf index: LogIndex, in txn: borrowing WriteTransaction) throws {
        guard index > expiryEntries else { return }
        let cutoff = index - expiryEntries
        let idle = try txn.entries(byLastIndex, KeyRange(upTo: .bigEndian(cutoff)), limit: Self.maxExpiriesPerEntry)
        for (key, _) in idle {
            try txn.delete(key, in: byLastIndex)
            try txn.delete(Array(key[8...]), in: sessions)
        }
    }

    private func store(
        session: LogIndex, sequence: UInt64, result: [UInt8], at index: LogIndex, in txn: borrowing WriteTransaction
    ) throws {
        if let previous = try record(of: session, in: txn) {
            try txn.delete(Self.indexKey(previous.index, session), in: byLastIndex)
        }
        var value: [UInt8] = []
        value.appendBigEndian(sequence)
        value.appendBigEndian(index)
        value.append(contentsOf: result.count <= maxResultBytes ? result : [])
        try txn.put(value, for: .bigEndian(session), in: sessions)
        try txn.put([], for: Self.indexKey(index, session), in: byLastIndex)
    }

    private func record(of session: LogIndex, in txn: borrowing WriteTransaction) throws -> (
        sequence: UInt64, index: LogIndex, result: [UInt8]
    )? {
        guard let value = try txn.get(.bigEndian(session), in: sessions) else { return nil }
        return try value.withUnsafeBytes { bytes in
            var reader = ByteReader(bytes)
            return (try reader.readBigEndian(), try reader.readBigEndian(), reader.readRemaining())
        }
    }

    private static func indexKey(_ index: LogIndex, _ session: LogIndex) -> [UInt8] {
        var key = [UInt8].bigEndian(index)
        key.appendBigEndian(session)
        return key
    }
}
