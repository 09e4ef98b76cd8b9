import AsyncHTTPClient
import Foundation
import NIOCore
import Raft
import Storage

/// Disaster recovery: saving a running member's state to a file, and preparing a new cluster's members
/// from it (see docs/backup-restore.md).
public enum ClusterBackup {
    /// Time allowed for a whole backup download.
    public static let downloadTimeout: TimeAmount = .seconds(600)

    /// Downloads a consistent online backup from the member at `address` (`GET /v1/cluster/backup`, which
    /// needs `http` to present an operator certificate) to `outputPath`. The file is streamed to
    /// `<outputPath>.partial`, verified (format version and checksum), and only then renamed into place, so
    /// `outputPath` is never a partial backup. Returns the applied index (revision) it holds.
    public static func download(from address: String, http: HTTPClient, to outputPath: String) async throws -> UInt64 {
        let partial = outputPath + ".partial"
        let response: HTTPClientResponse
        do {
            response = try await http.execute(HTTPClientRequest(url: "https://\(address)/v1/cluster/backup"), timeout: downloadTimeout)
        } catch {
            throw MemberClient.CallError.unreachable("\(address): \(error)")
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: MemberClient.maxResponseBytes)).map { String(buffer: $0) } ?? ""
            throw MemberClient.CallError.problem(
                status: Int(response.status.code), type: "backup", title: "\(response.status.reasonPhrase) \(body)", retryAfterSeconds: nil)
        }
        _ = FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
        do {
            for try await block in response.body { try handle.write(contentsOf: Data(block.readableBytesView)) }
            try handle.synchronize()
            try handle.close()
            let applied = try SnapshotFile.verify(partial)
            try FileManager.default.moveItem(atPath: partial, toPath: outputPath)
            return applied
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// Prepares the (empty) data directory of `configuration`'s member to start a new cluster from the
    /// backup at `backupPath`, with the membership of `configuration`. Run it for every member of the new
    /// cluster with the same file, then start them. Returns the applied index restored.
    public static func restore(from backupPath: String, configuration: NodeConfiguration) throws -> UInt64 {
        try configuration.validate()
        let environment = try Environment(path: configuration.dataDirectory)
        let stateMachine = try ServiceStateMachine(environment: environment)
        return try RaftNode.restore(
            fromBackup: backupPath, into: environment, stateMachine: stateMachine, membership: configuration.bootstrapMembership)
    }
}
