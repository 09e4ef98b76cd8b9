import Crypto
import Foundation
import RaftNode

/// A backup file: the member's snapshot file followed by a fixed trailer that names the cluster it was taken
/// from and seals everything with SHA-256 (the snapshot's own FNV-1a checksum finds damage, not tampering):
///
///     snapshot file (snapshotBytes) | magic "KCBKUP1\n" | cluster id (16) | applied index (UInt64 BE)
///                                   | snapshotBytes (UInt64 BE) | SHA-256 of everything before it (32)
///
/// The digest is also what a restore derives the new cluster's id from. It detects any change to the file,
/// but whoever can write the file can recompute it: keep backups where only operators can write them.
public enum BackupEnvelope {
    static let magic = Array("KCBKUP1\n".utf8)
    static let digestBytes = 32
    /// Bytes of the trailer.
    static let trailerBytes = magic.count + ClusterID.byteCount + 8 + 8 + digestBytes
    /// Bytes read per step while hashing.
    static let blockBytes = 1 << 20

    /// What a sealed backup says about itself, once its digest checks out.
    public struct Contents: Equatable, Sendable {
        public let clusterID: ClusterID
        public let appliedIndex: UInt64
        public let snapshotBytes: UInt64
        public let digest: [UInt8]
        /// The digest as 64 hex digits (what `keycluster backup` prints, to compare with a copy).
        public var digestHex: String { ASCII.hex(digest) }
    }

    /// Why a file is not an intact backup.
    public struct Refused: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Appends the trailer to the snapshot file at `path` (a scratch copy of the member's state).
    public static func seal(_ path: String, clusterID: ClusterID, appliedIndex: UInt64) throws -> Contents {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        var hash = SHA256()
        try hashPrefix(handle, bytes: size, into: &hash)
        let head = magic + clusterID.bytes + bigEndian(appliedIndex) + bigEndian(size)
        hash.update(data: head)
        let digest = Array(hash.finalize())
        try handle.seekToEnd()
        try handle.write(contentsOf: head + digest)
        try handle.synchronize()
        return Contents(clusterID: clusterID, appliedIndex: appliedIndex, snapshotBytes: size, digest: digest)
    }

    /// Reads and checks the trailer and the digest of the backup at `path`.
    public static func open(_ path: String) throws -> Contents {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Refused(description: "cannot read \(path)") }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size >= UInt64(trailerBytes) else {
            throw Refused(description: "\(path) is too short to be a KeyCluster backup")
        }
        try handle.seek(toOffset: size - UInt64(trailerBytes))
        let trailer = Array(try handle.read(upToCount: trailerBytes) ?? Data())
        guard trailer.count == trailerBytes, Array(trailer.prefix(magic.count)) == magic else {
            throw Refused(
                description:
                    "\(path) has no backup trailer (not a KeyCluster backup, truncated, or made by a version before backups were sealed)"
            )
        }
        var offset = magic.count
        guard let clusterID = ClusterID(bytes: trailer[offset..<offset + ClusterID.byteCount]) else {
            throw Refused(description: "\(path) names no cluster")
        }
        offset += ClusterID.byteCount
        let applied = integer(trailer[offset..<offset + 8])
        offset += 8
        let snapshotBytes = integer(trailer[offset..<offset + 8])
        offset += 8
        let recorded = Array(trailer[offset...])
        guard snapshotBytes == size - UInt64(trailerBytes) else {
            throw Refused(
                description: "\(path) is truncated or extended (its trailer counts \(snapshotBytes) bytes of state)")
        }
        try handle.seek(toOffset: 0)
        var hash = SHA256()
        try hashPrefix(handle, bytes: snapshotBytes, into: &hash)
        hash.update(data: trailer.prefix(trailerBytes - digestBytes))
        guard Array(hash.finalize()) == recorded else {
            throw Refused(description: "\(path) does not match its SHA-256 digest: it was damaged or altered")
        }
        return Contents(clusterID: clusterID, appliedIndex: applied, snapshotBytes: snapshotBytes, digest: recorded)
    }

    /// Copies the snapshot part of the (opened) backup at `path` to `destination`.
    public static func extractSnapshot(from path: String, contents: Contents, to destination: String) throws {
        guard let input = FileHandle(forReadingAtPath: path) else { throw Refused(description: "cannot read \(path)") }
        defer { try? input.close() }
        _ = FileManager.default.createFile(atPath: destination, contents: nil, attributes: [.posixPermissions: 0o600])
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: destination))
        defer { try? output.close() }
        var remaining = contents.snapshotBytes
        while remaining > 0 {
            let block = try input.read(upToCount: Int(min(remaining, UInt64(blockBytes)))) ?? Data()
            guard !block.isEmpty else { throw Refused(description: "\(path) ended early") }
            try output.write(contentsOf: block)
            remaining -= UInt64(block.count)
        }
        try output.synchronize()
    }

    private static func hashPrefix(_ handle: FileHandle, bytes: UInt64, into hash: inout SHA256) throws {
        var remaining = bytes
        while remaining > 0 {
            let block = try handle.read(upToCount: Int(min(remaining, UInt64(blockBytes)))) ?? Data()
            guard !block.isEmpty else { throw Refused(description: "the file ended early") }
            hash.update(data: block)
            remaining -= UInt64(block.count)
        }
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    private static func integer(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
}
