import Foundation
import Storage

/// A state-machine snapshot on disk: every entry of the snapshotted databases, as of one read transaction,
/// in a self-checking format — written by the leader's runtime, streamed to a lagging follower in chunks,
/// and installed there in one write transaction.
///
/// Layout: magic `KCSNAP1\n`, then records, then a trailer.
/// - database record: `0x01 · name length (u16 BE) · name`
/// - entry record:    `0x02 · key length (u32 BE) · key · value length (u32 BE) · value`
/// - trailer:         `0x03 · applied index (u64 BE) · FNV-1a 64 of every byte before the trailer (u64 BE)`
/// A truncated, reordered or corrupted file fails the checksum or the record parser and is never installed.
public enum SnapshotFile {
    static let magic = Array("KCSNAP1\n".utf8)

    enum RecordKind: UInt8 {
        case database = 1
        case entry = 2
        case trailer = 3
    }

    /// Why a snapshot file was refused.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { "invalid snapshot: \(reason)" }
    }

    /// Bytes buffered before a write to the file.
    static let writeBufferBytes = 1 << 20

    /// Writes `databases` as seen by one read transaction, plus `appliedIndex`, to `path` (replaced).
    public static func write(
        from environment: Environment, databases: [Database], appliedIndex: UInt64, to path: String
    ) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let handle = FileHandle(forWritingAtPath: path) else { throw Invalid(reason: "cannot create \(path)") }
        defer { try? handle.close() }
        var buffer: [UInt8] = magic
        var checksum = FNV1a64()
        func flushIfFull(_ force: Bool = false) throws {
            guard force || buffer.count >= writeBufferBytes else { return }
            checksum.update(buffer)
            try handle.write(contentsOf: Data(buffer))
            buffer.removeAll(keepingCapacity: true)
        }
        try environment.read { txn in
            for database in databases {
                let name = Array(database.name.utf8)
                precondition(name.count <= Int(UInt16.max), "database names are short")
                buffer.append(RecordKind.database.rawValue)
                buffer.appendBigEndian(UInt16(name.count))
                buffer.append(contentsOf: name)
                try txn.scan(database) { key, value in
                    buffer.append(RecordKind.entry.rawValue)
                    buffer.appendBigEndian(UInt32(key.count))
                    buffer.append(contentsOf: key)
                    buffer.appendBigEndian(UInt32(value.count))
                    buffer.append(contentsOf: value)
                    try flushIfFull()
                    return .proceed
                }
            }
        }
        try flushIfFull(true)
        var trailer: [UInt8] = [RecordKind.trailer.rawValue]
        trailer.appendBigEndian(appliedIndex)
        checksum.update(trailer)
        trailer.appendBigEndian(checksum.value)
        try handle.write(contentsOf: Data(trailer))
        try handle.synchronize()
    }

    /// Replaces the contents of `databases` with the snapshot at `path`, in the caller's write transaction
    /// (so the runtime can reset the log in the same transaction). Returns the snapshot's applied index.
    /// Verifies the whole file before changing anything; a database in the file that is not in `databases`
    /// makes it invalid.
    public static func install(
        from path: String, into databases: [Database], in txn: borrowing WriteTransaction
    ) throws -> UInt64 {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(reason: "cannot read \(path)") }
        let bytes = [UInt8](data)
        let appliedIndex = try verify(bytes)
        let byName = Dictionary(uniqueKeysWithValues: databases.map { ($0.name, $0) })
        for database in databases { try txn.removeAll(in: database) }
        try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            _ = try reader.readBytes(magic.count)
            var current: Database?
            while true {
                guard let kind = RecordKind(rawValue: try reader.readBigEndian(UInt8.self)) else {
                    throw Invalid(reason: "unknown record kind")
                }
                switch kind {
                case .database:
                    let name = String(decoding: try reader.readBytes(Int(try reader.readBigEndian(UInt16.self))), as: UTF8.self)
                    guard let database = byName[name] else { throw Invalid(reason: "unexpected database \(name)") }
                    current = database
                case .entry:
                    guard let database = current else { throw Invalid(reason: "entry before any database") }
                    let key = try reader.readBytes(Int(try reader.readBigEndian(UInt32.self)))
                    let value = try reader.readBytes(Int(try reader.readBigEndian(UInt32.self)))
                    try txn.put(value, for: key, in: database)
                case .trailer:
                    return
                }
            }
        }
        return appliedIndex
    }

    /// Checks magic, record framing and checksum; returns the applied index from the trailer.
    static func verify(_ bytes: [UInt8]) throws -> UInt64 {
        let trailerBytes = 1 + 8 + 8
        guard bytes.count >= magic.count + trailerBytes, Array(bytes.prefix(magic.count)) == magic else {
            throw Invalid(reason: "not a snapshot file")
        }
        let trailerStart = bytes.count - trailerBytes
        guard bytes[trailerStart] == RecordKind.trailer.rawValue else { throw Invalid(reason: "missing trailer") }
        var checksum = FNV1a64()
        checksum.update(bytes[..<(bytes.count - 8)])
        return try bytes[trailerStart...].withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            _ = try reader.readBigEndian(UInt8.self)
            let appliedIndex = try reader.readBigEndian(UInt64.self)
            guard try reader.readBigEndian(UInt64.self) == checksum.value else { throw Invalid(reason: "checksum mismatch") }
            return appliedIndex
        }
    }
}

/// FNV-1a, 64 bit: a fast checksum that catches truncation and corruption of snapshot files (it is not a
/// defence against forgery — the TLS link authenticates the sender).
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func update(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
    }
}
