import RaftCore
import Storage

/// The byte layout of what `LMDBLogStore` writes. Fixed-width big-endian fields; every decoder checks
/// lengths and values, so a damaged file is reported as `Corrupted`, never trusted or crashed on.
///
/// - entry (key: index, 8 bytes): term (8) · kind (1) · payload (rest)
/// - hard state: term (8) · has-vote (1) · vote (8) · commit (8)
/// - position (the compaction boundary): index (8) · term (8)
enum LogRecord {
    /// A stored record does not have the layout above.
    struct Corrupted: Error, CustomStringConvertible {
        let what: String
        var description: String { "raft log store is corrupted: \(what)" }
    }

    static func encode(_ entry: Entry) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(9 + entry.payload.count)
        bytes.appendBigEndian(entry.term)
        bytes.append(entry.kind.rawValue)
        bytes.append(contentsOf: entry.payload)
        return bytes
    }

    static func encode(_ state: HardState) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(state.term)
        bytes.append(state.vote == nil ? 0 : 1)
        bytes.appendBigEndian(state.vote?.rawValue ?? 0)
        bytes.appendBigEndian(state.commit)
        return bytes
    }

    static func encode(_ position: LogPosition) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(position.index)
        bytes.appendBigEndian(position.term)
        return bytes
    }

    static func decodeIndex(_ key: UnsafeRawBufferPointer) throws -> LogIndex {
        var reader = ByteReader(key)
        let index = try reader.readBigEndian(LogIndex.self)
        guard reader.remainingCount == 0 else { throw Corrupted(what: "a raft.log key is \(key.count) bytes, not 8") }
        return index
    }

    static func decodeEntry(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws -> Entry {
        let index = try decodeIndex(key)
        var reader = ByteReader(value)
        do {
            let term = try reader.readBigEndian(Term.self)
            let rawKind = try reader.readBigEndian(UInt8.self)
            guard let kind = EntryKind(rawValue: rawKind) else {
                throw Corrupted(what: "entry \(index) has unknown kind \(rawKind)")
            }
            return Entry(index: index, term: term, kind: kind, payload: reader.readRemaining())
        } catch let error as ByteReader.Truncated {
            throw Corrupted(what: "entry \(index): \(error)")
        }
    }

    /// Only the term of an entry, without copying its payload (term lookups are on the hot path).
    static func decodeTerm(_ value: UnsafeRawBufferPointer) -> Result<Term, any Error> {
        var reader = ByteReader(value)
        return Result { try reader.readBigEndian(Term.self) }.mapError { Corrupted(what: "entry term: \($0)") }
    }

    static func decodeHardState(_ value: UnsafeRawBufferPointer) -> Result<HardState, any Error> {
        var reader = ByteReader(value)
        return Result {
            let term = try reader.readBigEndian(Term.self)
            let hasVote = try reader.readBigEndian(UInt8.self)
            let vote = try reader.readBigEndian(UInt64.self)
            let commit = try reader.readBigEndian(LogIndex.self)
            guard hasVote <= 1, reader.remainingCount == 0 else { throw Corrupted(what: "hard state has a bad layout") }
            return HardState(term: term, vote: hasVote == 1 ? NodeID(vote) : nil, commit: commit)
        }
    }

    static func decodePosition(_ value: UnsafeRawBufferPointer) -> Result<LogPosition, any Error> {
        var reader = ByteReader(value)
        return Result {
            let position = LogPosition(index: try reader.readBigEndian(), term: try reader.readBigEndian())
            guard reader.remainingCount == 0 else { throw Corrupted(what: "compaction boundary has a bad layout") }
            return position
        }
    }
}
