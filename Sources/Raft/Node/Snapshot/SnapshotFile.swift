import Foundation
import Storage

/// A state-machine snapshot on disk: every entry of the snapshotted databases, as of one read transaction,
/// in a self-checking format — written by a member's runtime when it compacts, streamed to a lagging
/// follower in chunks, installed there in one write transaction, and used as the backup file format.
///
/// Layout: magic `KCSNAP1\n` (the `1` is the format version), then records, then a trailer.
/// - database record: `0x01 · name length (u16 BE) · name`
/// - entry record:    `0x02 · key length (u32 BE) · key · value length (u32 BE) · value`
/// - trailer:         `0x03 · applied index (u64 BE) · FNV-1a 64 of every byte before the trailer (u64 BE)`
/// A truncated, reordered or corrupted file fails the checksum or the record parser and is never installed.
/// Reading and writing go through fixed-size buffers, so a snapshot of any size needs bounded memory.
public enum SnapshotFile {
    static let magic = Array("KCSNAP1\n".utf8)
    static let trailerBytes = 1 + 8 + 8

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

    /// Bytes buffered before a write to the file, and read from it at once.
    static let ioBufferBytes = 1 << 20
    /// A key or value longer than this makes a file invalid (LMDB keys are at most 511 bytes; values are
    /// bounded by what the state machine writes, far below this).
    static let maxRecordBytes = 64 << 20

    /// Writes `databases` as seen by one read transaction to `path` (replaced) and fsyncs it. The applied
    /// index comes from `appliedIndex`, read in the same transaction, so it names exactly the state written.
    /// Returns that index.
    @discardableResult
    public static func write(
        from environment: Environment, databases: [Database], to path: String,
        appliedIndex: (borrowing ReadTransaction) throws -> UInt64
    ) throws -> UInt64 {
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let handle = FileHandle(forWritingAtPath: path) else { throw Invalid(reason: "cannot create \(path)") }
        defer { try? handle.close() }
        var buffer: [UInt8] = magic
        var checksum = FNV1a64()
        func flushIfFull(_ force: Bool = false) throws {
            guard force || buffer.count >= ioBufferBytes else { return }
            checksum.update(buffer)
            try handle.write(contentsOf: Data(buffer))
            buffer.removeAll(keepingCapacity: true)
        }
        let applied = try environment.read { txn in
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
            return try appliedIndex(txn)
        }
        try flushIfFull(true)
        var trailer: [UInt8] = [RecordKind.trailer.rawValue]
        trailer.appendBigEndian(applied)
        checksum.update(trailer)
        trailer.appendBigEndian(checksum.value)
        try handle.write(contentsOf: Data(trailer))
        try handle.synchronize()
        return applied
    }

    /// Makes the file at `path` durable (fsync through a new descriptor flushes the file's data whoever
    /// wrote it). Blocking: call it off the Raft thread.
    public static func synchronize(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Invalid(reason: "cannot open \(path) to sync it")
        }
        defer { try? handle.close() }
        try handle.synchronize()
    }

    /// Replaces the contents of `databases` with the snapshot at `path`, in the caller's write transaction
    /// (so the runtime can reset the log and applied index in the same transaction). Returns the snapshot's
    /// applied index. One pass: the checksum is computed while the records are written, and a mismatch, a
    /// truncation, bytes after the trailer, records out of key order or a database in the file that is not
    /// in `databases` throw `Invalid` — after writes were made, so the caller must abort its transaction
    /// on any throw (the persister does: the whole batch is one transaction). Records are appended
    /// (`append`: they were written from a scan in key order), so pages are filled, not split.
    public static func install(
        from path: String, into databases: [Database], in txn: borrowing WriteTransaction
    ) throws -> UInt64 {
        let byName = Dictionary(uniqueKeysWithValues: databases.map { ($0.name, $0) })
        var reader = try SnapshotFileReader(path: path)
        defer { reader.close() }
        guard reader.fileBytes >= magic.count + trailerBytes else {
            throw Invalid(reason: "not a KeyCluster snapshot (too short)")
        }
        reader.checksum = FNV1a64()
        guard try reader.read(magic.count) == magic else {
            throw Invalid(reason: "not a KeyCluster snapshot (or an unsupported format version)")
        }
        for database in databases { try txn.removeAll(in: database) }
        var current: Database?
        while true {
            guard let kind = RecordKind(rawValue: try reader.readBigEndian(UInt8.self)) else {
                throw Invalid(reason: "unknown record kind")
            }
            switch kind {
            case .database:
                let name = String(decoding: try reader.read(Int(try reader.readBigEndian(UInt16.self))), as: UTF8.self)
                guard let database = byName[name] else { throw Invalid(reason: "unexpected database \(name)") }
                current = database
            case .entry:
                guard let database = current else { throw Invalid(reason: "entry before any database") }
                let key = try reader.read(Int(try reader.readBigEndian(UInt32.self)))
                let value = try reader.read(Int(try reader.readBigEndian(UInt32.self)))
                guard try txn.append(value, for: key, in: database) else {
                    throw Invalid(reason: "records of \(database.name) out of key order (corrupted)")
                }
            case .trailer:
                let appliedIndex = try reader.readBigEndian(UInt64.self)
                let computed = reader.checksum?.value
                reader.checksum = nil
                guard try reader.readBigEndian(UInt64.self) == computed else {
                    throw Invalid(reason: "checksum mismatch (corrupted or truncated)")
                }
                guard reader.consumedBytes == reader.fileBytes else { throw Invalid(reason: "bytes after the trailer") }
                return appliedIndex
            }
        }
    }

    /// Bytes of the file at `path`.
    public static func size(of path: String) throws -> Int {
        let reader = try SnapshotFileReader(path: path)
        defer { reader.close() }
        return reader.fileBytes
    }

    /// Checks magic, trailer and checksum of the file at `path`; returns the applied index from the trailer.
    public static func verify(_ path: String) throws -> UInt64 {
        var reader = try SnapshotFileReader(path: path)
        defer { reader.close() }
        let size = reader.fileBytes
        guard size >= magic.count + trailerBytes, try reader.read(magic.count) == magic else {
            throw Invalid(reason: "not a KeyCluster snapshot (or an unsupported format version)")
        }
        var checksum = FNV1a64()
        checksum.update(magic)
        var remaining = size - magic.count - trailerBytes
        while remaining > 0 {
            let block = try reader.read(min(remaining, ioBufferBytes))
            checksum.update(block)
            remaining -= block.count
        }
        let trailer = try reader.read(trailerBytes)
        guard trailer[0] == RecordKind.trailer.rawValue else { throw Invalid(reason: "missing trailer (truncated?)") }
        checksum.update(trailer[..<9])
        return try trailer.withUnsafeBytes { raw in
            var fields = ByteReader(raw)
            _ = try fields.readBigEndian(UInt8.self)
            let appliedIndex = try fields.readBigEndian(UInt64.self)
            guard try fields.readBigEndian(UInt64.self) == checksum.value else {
                throw Invalid(reason: "checksum mismatch (corrupted or truncated)")
            }
            return appliedIndex
        }
    }
}

/// Reads a snapshot file sequentially through a buffer of `SnapshotFile.ioBufferBytes`; a short file is
/// `Invalid`, never a crash.
struct SnapshotFileReader {
    private let handle: FileHandle
    let fileBytes: Int
    private var buffer: [UInt8] = []
    private var position = 0
    /// Bytes handed out so far.
    private(set) var consumedBytes = 0
    /// When set, every byte handed out is added to it (a reader that checks as it goes).
    var checksum: FNV1a64?

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SnapshotFile.Invalid(reason: "cannot read \(path)")
        }
        self.handle = handle
        let end = (try? handle.seekToEnd()) ?? 0
        try handle.seek(toOffset: 0)
        fileBytes = Int(end)
    }

    func close() { try? handle.close() }

    mutating func read(_ count: Int) throws -> [UInt8] {
        let range = try take(count)
        return Array(buffer[range])
    }

    /// Without an array per field: a snapshot of a large state has millions of records, each with two
    /// length fields.
    mutating func readBigEndian<T: FixedWidthInteger>(_ type: T.Type = T.self) throws -> T {
        let range = try take(MemoryLayout<T>.size)
        var value = T(0)
        for index in range { value = value << 8 | T(buffer[index]) }
        return value
    }

    /// Makes `count` bytes available in `buffer` and returns where they are (valid until the next call).
    private mutating func take(_ count: Int) throws -> Range<Int> {
        guard count >= 0, count <= SnapshotFile.maxRecordBytes else {
            throw SnapshotFile.Invalid(reason: "a record of \(count) bytes is too long")
        }
        while buffer.count - position < count {
            let block = try handle.read(upToCount: max(SnapshotFile.ioBufferBytes, count)) ?? Data()
            guard !block.isEmpty else { throw SnapshotFile.Invalid(reason: "file ends inside a record") }
            buffer.removeFirst(position)
            position = 0
            buffer.append(contentsOf: block)
        }
        let range = position..<position + count
        position += count
        consumedBytes += count
        checksum?.update(buffer[range])
        return range
    }
}

/// FNV-1a, 64 bit: a fast checksum that catches truncation and corruption of snapshot files (it is not a
/// defence against forgery — the TLS link authenticates the sender, and backups are kept by operators).
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func update(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01B3
        }
    }
}
