import Foundation
import RaftCore
import Storage

/// Where a member keeps its snapshots: the files in `<data directory>/snapshots/`, and the durable record
/// of the newest one (its metadata) in LMDB database `raft.snapshot`.
///
/// The record is what counts. It is written in the same LMDB transaction that compacts the log (after a
/// snapshot is taken) or installs a snapshot's state (after one is received), so after a crash the record,
/// the log boundary and the state machine always agree. A file is published (fsynced, renamed to its final
/// name, directory fsynced) before any record names it; a file no record names is an orphan left by a crash
/// and is removed on start.
///
/// File names: `snapshot-<index>-<term>.kcsnap` (published), `taking.tmp` (being written here),
/// `incoming.tmp` (being received from a leader).
struct SnapshotCatalog: Sendable {
    let directory: String
    private let database: Database

    private static let latestKey = Array("latest".utf8)
    static let filePrefix = "snapshot-"
    static let fileSuffix = ".kcsnap"

    init(environment: Environment) throws {
        directory = environment.path + "/snapshots"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        database = try environment.openDatabase("raft.snapshot")
    }

    var takingPath: String { directory + "/taking.tmp" }
    var incomingPath: String { directory + "/incoming.tmp" }

    func path(of metadata: SnapshotMetadata) -> String {
        "\(directory)/\(Self.filePrefix)\(metadata.index)-\(metadata.term)\(Self.fileSuffix)"
    }

    /// The newest snapshot recorded durably, or nil when this member never held one.
    func latest(in environment: Environment) throws -> SnapshotMetadata? {
        try environment.read { txn in try latest(in: txn) }
    }

    func latest<A>(in txn: borrowing Transaction<A>) throws -> SnapshotMetadata? {
        guard let bytes = try txn.get(Self.latestKey, in: database) else { return nil }
        return try Self.decode(bytes)
    }

    /// Records `metadata` as the newest snapshot unless a newer one is already recorded; returns whether it
    /// did (the caller compacts the log only then).
    func record(_ metadata: SnapshotMetadata, in txn: borrowing WriteTransaction) throws -> Bool {
        if let current = try latest(in: txn), current.index >= metadata.index { return false }
        try txn.put(Self.encode(metadata), for: Self.latestKey, in: database)
        return true
    }

    /// Moves the finished, fsynced file at `temporary` to `metadata`'s name and makes the rename durable.
    func publish(_ temporary: String, as metadata: SnapshotMetadata) throws {
        let final = path(of: metadata)
        guard rename(temporary, final) == 0 else {
            throw SnapshotFile.Invalid(reason: "cannot publish \(temporary) as \(final): errno \(errno)")
        }
        try syncDirectory()
    }

    /// Removes published files other than `keep`, and (when `includingTemporary`) unfinished ones — left by
    /// a crash, or superseded. A sender still streaming a removed file keeps reading it (POSIX unlink).
    func removeFiles(except keep: Set<String>, includingTemporary: Bool) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            let path = "\(directory)/\(name)"
            let published = name.hasPrefix(Self.filePrefix) && name.hasSuffix(Self.fileSuffix)
            if (published && !keep.contains(path)) || (includingTemporary && name.hasSuffix(".tmp")) {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
    }

    private func syncDirectory() throws {
        let descriptor = open(directory, O_RDONLY)
        guard descriptor >= 0 else { throw SnapshotFile.Invalid(reason: "cannot open \(directory): errno \(errno)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw SnapshotFile.Invalid(reason: "cannot fsync \(directory): errno \(errno)")
        }
    }

    /// index (u64 BE) · term (u64 BE) · the configuration's own encoding.
    static func encode(_ metadata: SnapshotMetadata) -> [UInt8] {
        var bytes = [UInt8].bigEndian(metadata.index)
        bytes.appendBigEndian(metadata.term)
        bytes.append(contentsOf: metadata.configuration.encoded)
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> SnapshotMetadata {
        try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            let index = try reader.readBigEndian(LogIndex.self)
            let term = try reader.readBigEndian(Term.self)
            guard let configuration = MembershipConfiguration(decoding: reader.readRemaining()) else {
                throw LogRecord.Corrupted(what: "the snapshot record's configuration")
            }
            return SnapshotMetadata(index: index, term: term, configuration: configuration)
        }
    }
}
