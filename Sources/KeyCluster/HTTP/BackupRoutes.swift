import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Raft

/// `GET /v1/cluster/backup` (operator client certificate required): a consistent online backup of this
/// member's applied state, streamed as a KeyCluster snapshot file (`keycluster backup` saves it).
///
/// Why an endpoint rather than reading the data directory from another process: the backup is taken where
/// the operator is (off the member's machine — the point of disaster recovery), authenticated by the same
/// operator certificate as every other operator action, and needs no access to the member's 0600 files nor a
/// second process mapping its LMDB environment while the node grows the map. The member writes it from one
/// LMDB read transaction, so it never blocks writes, and streams it in bounded blocks.
struct BackupRoutes: Sendable {
    let node: RaftNode
    let logger: Logger

    /// Bytes read from the backup file per body write.
    static let streamBlockBytes = 1 << 20
    /// Response header naming the applied index (revision) the backup holds.
    static let appliedIndexHeader = HTTPField.Name("KeyCluster-Applied-Index")

    func register(on router: Router<ServiceRequestContext>) {
        router.get("/v1/cluster/backup") { _, context in
            let operatorName = try await context.operatorName()
            let backup: (path: String, appliedIndex: LogIndex)
            do {
                backup = try await node.writeBackup()
            } catch {
                throw Problem("backup-failed", status: .internalServerError, title: "The backup could not be written", detail: "\(error)")
            }
            guard let handle = FileHandle(forReadingAtPath: backup.path) else {
                try? FileManager.default.removeItem(atPath: backup.path)
                throw Problem("backup-failed", status: .internalServerError, title: "The backup could not be read back")
            }
            let size = Int((try? handle.seekToEnd()) ?? 0)
            try handle.seek(toOffset: 0)
            logger.info("backup taken", metadata: ["operator": "\(operatorName)", "applied": "\(backup.appliedIndex)", "bytes": "\(size)"])
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            if let name = Self.appliedIndexHeader { headers[name] = "\(backup.appliedIndex)" }
            return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: size) { writer in
                defer {
                    try? handle.close()
                    try? FileManager.default.removeItem(atPath: backup.path)
                }
                while let block = try handle.read(upToCount: Self.streamBlockBytes), !block.isEmpty {
                    try await writer.write(ByteBuffer(bytes: block))
                }
                try await writer.finish(nil)
            })
        }
    }
}
