import Foundation
import RaftCore

/// One snapshot transfer arriving from a leader, written in order to the catalog's `incoming.tmp`: only
/// the chunk at the next offset is taken (a lost or reordered chunk stalls the transfer until the leader
/// starts it again), so memory holds one chunk and the file never has holes.
struct SnapshotReceiver {
    let metadata: SnapshotMetadata
    let leader: NodeID
    let term: Term
    private let handle: FileHandle
    private(set) var receivedBytes = 0

    enum Progress {
        /// Written; more chunks to come.
        case more
        /// The last chunk is written and the file fsynced and closed.
        case complete
        /// Not the next chunk of this transfer: ignored.
        case ignored
        /// Too large, or the file could not be written: the transfer is abandoned.
        case failed(String)
    }

    /// Starts a transfer at its first chunk (offset 0), truncating `path`.
    init(first message: Message, chunk: InstallSnapshotChunk, path: String) throws {
        precondition(chunk.offset == 0, "a transfer starts at offset 0")
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw SnapshotFile.Invalid(reason: "cannot create \(path)")
        }
        self.handle = handle
        metadata = chunk.metadata
        leader = message.from
        term = message.term
    }

    mutating func add(_ chunk: InstallSnapshotChunk, from message: Message, maxSnapshotBytes: Int) -> Progress {
        guard chunk.metadata == metadata, message.from == leader, message.term == term, chunk.offset == receivedBytes
        else {
            return .ignored
        }
        guard receivedBytes + chunk.data.count <= maxSnapshotBytes else {
            abandon()
            return .failed("larger than maxSnapshotBytes \(maxSnapshotBytes)")
        }
        do {
            try handle.write(contentsOf: Data(chunk.data))
            receivedBytes += chunk.data.count
            guard chunk.isLast else { return .more }
            // Not synced here: this runs on the Raft thread, and a snapshot may be gigabytes. The verify
            // step syncs it on a thread of its own before it is published (`SnapshotFile.synchronize`).
            try handle.close()
            return .complete
        } catch {
            abandon()
            return .failed("cannot write: \(error)")
        }
    }

    /// Stops writing; the partial file is overwritten by the next transfer or removed on restart.
    func abandon() {
        try? handle.close()
    }
}
