import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RaftCore
import RaftNode

/// `GET /v1/cluster/backup` (operator client certificate required): a consistent online backup of this
/// member's applied state, streamed as a KeyCluster snapshot file sealed with its cluster id and a SHA-256
/// digest (`BackupEnvelope`; `keycluster backup` saves it).
///
/// Why an endpoint rather than reading the data directory from another process: the backup is taken where
/// the operator is (off the member's machine — the point of disaster recovery), authenticated by the same
/// operator certificate as every other operator action, and needs no access to the member's 0600 files nor a
/// second process mapping its LMDB environment while the node grows the map. The member writes it from one
/// LMDB read transaction, so it never blocks writes, and streams it in bounded blocks.
struct BackupRoutes: Sendable {
    let node: RaftNode
    let clusterGate: ClusterIDGate
    let logger: Logger

    /// Bytes read from the backup file per body write.
    static let streamBlockBytes = 1 << 20
    /// Response header naming the applied index (revision) the backup holds.
    static let appliedIndexHeader = HTTPField.Name("KeyCluster-Applied-Index")
    /// `Retry-After` seconds when another backup holds this member's backup slot.
    static let busyRetryAfterSeconds = 5

    /// One backup at a time on this member (each holds a full state copy on its disk until streamed).
    let gate = BackupGate()

    func register(on router: Router<ServiceRequestContext>) {
        router.get("/v1/cluster/backup") { _, context in
            let operatorName = try await context.operatorName()
            guard let clusterID = clusterGate.clusterID else {
                throw Problem(
                    "backup-unavailable", status: .serviceUnavailable,
                    title: "This member has not joined its cluster yet",
                    detail: "A joining member takes its cluster id from the cluster; back up another member.",
                    retryAfterSeconds: 5)
            }
            guard let lease = gate.acquire() else {
                throw Problem(
                    "backup-in-progress", status: .tooManyRequests,
                    title: "A backup is already in progress on this member",
                    detail: "Only one backup at a time is taken per member; retry later or ask another member.",
                    retryAfterSeconds: Self.busyRetryAfterSeconds)
            }
            let backup: (path: String, appliedIndex: LogIndex)
            do {
                backup = try await node.writeBackup()
            } catch let error as RaftNode.BackupSpaceInsufficient {
                throw Problem(
                    "backup-no-space", status: .init(code: 507, reasonPhrase: "Insufficient Storage"),
                    title: "Not enough free disk space for a backup", detail: "\(error)")
            } catch {
                throw Problem(
                    "backup-failed", status: .internalServerError, title: "The backup could not be written",
                    detail: "\(error)")
            }
            lease.own(path: backup.path)
            let sealed: BackupEnvelope.Contents
            do {
                // Reads and hashes the whole state (seconds for a large one): on a thread of its own, never
                // on the cooperative pool that answers unlocks.
                let path = backup.path
                let appliedIndex = backup.appliedIndex
                sealed = try await BlockingFileWork.run("backup-seal") {
                    try BackupEnvelope.seal(path, clusterID: clusterID, appliedIndex: appliedIndex)
                }
            } catch {
                throw Problem(
                    "backup-failed", status: .internalServerError, title: "The backup could not be sealed",
                    detail: "\(error)")
            }
            let handle: FileHandle
            let size: UInt64
            do {
                handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: backup.path))
                lease.own(path: backup.path, handle: handle)
                size = try handle.seekToEnd()
                try handle.seek(toOffset: 0)
            } catch {
                throw Problem(
                    "backup-failed", status: .internalServerError, title: "The backup could not be read back",
                    detail: "\(error)")
            }
            guard let contentLength = Int(exactly: size) else {
                throw Problem("backup-failed", status: .internalServerError, title: "The backup is too large to send")
            }
            logger.info(
                "backup taken",
                metadata: [
                    "operator": "\(operatorName)", "applied": "\(backup.appliedIndex)", "bytes": "\(size)",
                    "sha256": "\(sealed.digestHex)",
                ])
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            if let name = Self.appliedIndexHeader { headers[name] = "\(backup.appliedIndex)" }
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(contentLength: contentLength) { writer in
                    // The lease (file, descriptor, gate) lives as long as this body; it is disposed of when the
                    // body has been written or the response is dropped.
                    withExtendedLifetime(lease) {}
                    while let block = try handle.read(upToCount: Self.streamBlockBytes), !block.isEmpty {
                        try await writer.write(ByteBuffer(bytes: block))
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
