import Foundation
import RaftCore

/// Streams one snapshot file to one follower as `.installSnapshotChunk` messages of at most
/// `maxChunkBytes`, reading the file one chunk at a time and pausing while the follower's bulk queue holds
/// `maxQueuedBytesPerPeer` — so memory stays bounded and appends to other followers (and this one's
/// heartbeats, in the control lane) are never starved. A lost chunk makes the follower discard the transfer;
/// the core retries after `snapshotTimeoutTicks`, so the sender never retransmits by itself. It waits while
/// the transport has no link to the follower (`queuedBulkBytes` is then `Int.max`).
struct SnapshotSender: Sendable {
    let path: String
    let metadata: SnapshotMetadata
    let from: NodeID
    let to: NodeID
    /// The leader's term when the core asked for the transfer: the chunks go out in it.
    let term: Term
    let options: SnapshotTransferOptions
    let transport: any RaftMessageTransport

    /// Sends every chunk; returns whether the last one was handed to the transport (false: cancelled or
    /// the file could not be read).
    func run() async -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil else { return false }
        let totalBytes = Int(end)
        var offset = 0
        repeat {
            while transport.queuedBulkBytes(to: to) >= options.maxQueuedBytesPerPeer {
                guard (try? await Task.sleep(for: options.queuePollInterval)) != nil else { return false }
            }
            guard !Task.isCancelled, let data = try? handle.read(upToCount: options.maxChunkBytes) else { return false }
            let bytes = [UInt8](data)
            guard !bytes.isEmpty || totalBytes == 0 else { return false }  // shorter than it was: replaced
            let isLast = offset + bytes.count >= totalBytes
            let chunk = InstallSnapshotChunk(metadata: metadata, offset: offset, data: bytes, isLast: isLast)
            transport.send([Message(from: from, to: to, term: term, body: .installSnapshotChunk(chunk))])
            offset += bytes.count
        } while offset < totalBytes
        return true
    }
}
