import AsyncHTTPClient
import Foundation
import NIOCore
import RaftNode
import Storage

/// Disaster recovery: saving a running member's state to a file, and preparing a new cluster's members
/// from it (see docs/backup-restore.md).
public enum ClusterBackup {
    /// Time allowed for a whole backup download.
    public static let downloadTimeout: TimeAmount = .seconds(600)

    /// Downloads a consistent online backup from the member at `address` (`GET /v1/cluster/backup`, which
    /// needs `http` to present an operator certificate) to `outputPath`. The file is streamed to
    /// `<outputPath>.partial`, verified (trailer and SHA-256 digest), and only then renamed into place, so
    /// `outputPath` is never a partial backup. Returns what the backup says about itself.
    public static func download(from address: String, http: HTTPClient, to outputPath: String) async throws
        -> BackupEnvelope.Contents
    {
        let partial = outputPath + ".partial"
        let response: HTTPClientResponse
        do {
            response = try await http.execute(
                HTTPClientRequest(url: "https://\(address)/v1/cluster/backup"), timeout: downloadTimeout)
        } catch {
            throw MemberClient.CallError.unreachable("\(address): \(ConnectionFailure.describe(error))")
        }
        guard response.status == .ok else {
            let body =
                (try? await response.body.collect(upTo: MemberClient.maxResponseBytes)).map { String(buffer: $0) } ?? ""
            throw MemberClient.CallError.problem(
                status: Int(response.status.code), type: "backup", title: "\(response.status.reasonPhrase) \(body)",
                retryAfterSeconds: nil)
        }
        _ = FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
        do {
            for try await block in response.body { try handle.write(contentsOf: Data(block.readableBytesView)) }
            try handle.synchronize()
            try handle.close()
            let contents = try BackupEnvelope.open(partial)
            try FileManager.default.moveItem(atPath: partial, toPath: outputPath)
            return contents
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// What `restore` did.
    public struct Restored: Sendable {
        public let appliedIndex: UInt64
        /// The new cluster's id (the same on every member prepared from the same backup and configuration).
        public let clusterID: ClusterID
        /// The cluster the backup was taken from.
        public let sourceClusterID: ClusterID
    }

    /// Prepares the (empty) data directory of `configuration`'s member to start a NEW cluster from the
    /// backup at `backupPath`, with the membership of `configuration` and a new cluster id derived from the
    /// backup's digest and that membership. Run it for every member of the new cluster with the same file,
    /// then start them.
    ///
    /// Refuses (changing nothing) when the file is not an intact sealed backup, when the directory already
    /// holds a member's state, and — unless `livePeers` is empty — when another member of the configuration
    /// answers: a member of a running cluster is never seeded from a backup (it would follow its leader
    /// from another state); it is added with `cluster members add` instead.
    public static func restore(from backupPath: String, configuration: NodeConfiguration, livePeers: [UInt64] = [])
        throws -> Restored
    {
        try configuration.validate()
        guard livePeers.isEmpty else {
            throw RaftNode.RestoreRefused(
                reason:
                    "member\(livePeers.count == 1 ? "" : "s") \(livePeers.map(String.init).joined(separator: ", ")) of this configuration "
                    + "answer: restore prepares the members of a new, stopped cluster. Stop every member and restore each from the same backup, "
                    + "or add this member to the running cluster (keycluster cluster members add, docs/membership.md)")
        }
        let contents: BackupEnvelope.Contents
        do {
            contents = try BackupEnvelope.open(backupPath)
        } catch {
            throw RaftNode.RestoreRefused(reason: "\(error)")
        }
        let clusterID = try ClusterIDDerivation.restore(configuration, backupDigest: contents.digest)
        let environment = try Environment(
            path: configuration.dataDirectory, options: configuration.effectiveQuota.environmentOptions)
        let stateMachine = try ServiceStateMachine(environment: environment)
        let scratch = "\(configuration.dataDirectory)/restore-\(UInt64.random(in: 1 ... .max)).kcsnap"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try BackupEnvelope.extractSnapshot(from: backupPath, contents: contents, to: scratch)
        let applied = try RaftNode.restore(
            fromBackup: scratch, into: environment, stateMachine: stateMachine,
            membership: configuration.bootstrapMembership,
            clusterID: clusterID)
        return Restored(appliedIndex: applied, clusterID: clusterID, sourceClusterID: contents.clusterID)
    }

    /// Time allowed per member when `restore` checks whether any member of the configuration runs.
    public static let liveProbeTimeout: TimeAmount = .seconds(2)

    /// The members of `configuration` (other than itself) that answer on their client address: any HTTP
    /// answer, even a refusal, means a member runs there.
    public static func livePeers(of configuration: NodeConfiguration) async throws -> [UInt64] {
        let http = try MemberClient.makeHTTPClient(caCertificatePath: configuration.tls.caCertificate)
        var live: [UInt64] = []
        for member in configuration.members where member.id != configuration.id {
            do {
                _ = try await http.execute(
                    HTTPClientRequest(url: "https://\(member.clientAddress)/healthz"), timeout: liveProbeTimeout)
                live.append(member.id)
            } catch {
                continue
            }
        }
        try await http.shutdown()
        return live
    }
}
