import Foundation
import RaftCore
import Storage

/// Online backup and restore-from-backup (disaster recovery when every region is lost). A backup is a
/// `SnapshotFile` — format version in its magic, FNV-1a checksum, applied index — of the state machine and
/// client sessions, written from one LMDB read transaction while the node keeps serving.
extension RaftNode {
    /// Why a backup could not be restored.
    public struct RestoreRefused: Error, CustomStringConvertible, Equatable {
        public let reason: String
        public var description: String { "restore refused: \(reason)" }
        public init(reason: String) { self.reason = reason }
    }

    /// Why a backup was not written: the snapshot folder's file system has less free space than the state's
    /// pages take, so the copy would fill the member's disk (and fail anyway).
    public struct BackupSpaceInsufficient: Error, CustomStringConvertible, Equatable {
        public let neededBytes: Int
        public let freeBytes: Int
        public var description: String { "backup needs up to \(neededBytes) bytes but only \(freeBytes) are free" }
    }

    /// Writes a consistent backup of this member's applied state to a scratch file in its snapshot folder
    /// and returns the file (the caller removes it; a crash leaves it to the next start's cleanup) and the
    /// applied index it holds.
    public nonisolated func writeBackup() async throws -> (path: String, appliedIndex: LogIndex) {
        let persister = self.persister
        let environment = self.environment
        let directory = persister.catalog.directory
        let needed = try environment.read { txn in
            try persister.stateDatabases.reduce(0) { try $0 + txn.pageBytes(in: $1) }
        }
        if let free = Self.freeBytes(at: directory), free < needed {
            throw BackupSpaceInsufficient(neededBytes: needed, freeBytes: free)
        }
        let path = "\(directory)/backup-\(UInt64.random(in: 1 ... .max)).tmp"
        do {
            // On a thread of its own: a long write must not hold a thread of Swift's cooperative pool.
            let applied = try await BlockingFileWork.run("snapshot-io") {
                try SnapshotFile.write(from: environment, databases: persister.stateDatabases, to: path) { txn in
                    try persister.appliedIndex(in: txn)
                }
            }
            return (path, applied)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// Bytes available to this process on the file system holding `directory` (nil if `statvfs` fails: the
    /// write then reports the real error if space runs out).
    static func freeBytes(at directory: String) -> Int? {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        let free = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        return free.overflow ? Int.max : Int(clamping: free.partialValue)
    }

    /// Prepares the empty data directory of `environment` to start a NEW cluster from `backupPath`: the
    /// backup's state is installed exactly as a snapshot from a leader would be (`ReadyPersister`, one
    /// write transaction), at the backup's applied index, with `membership` — the new cluster's own — as
    /// the configuration there. Every member of the new cluster is prepared from the same file, so all
    /// start at the same log position and revisions keep growing from the old cluster's.
    ///
    /// Refuses a directory that already holds Raft state, and a file that is not an intact backup
    /// (truncated, corrupted, another format or version, or for another state machine) — then nothing
    /// in the directory's state changes. `clusterID` is the new cluster's id, stored in the same transaction.
    /// Returns the applied index restored.
    public static func restore(
        fromBackup backupPath: String, into environment: Environment, stateMachine: any ReplicatedStateMachine,
        membership: MembershipConfiguration, clusterID: ClusterID, options: RaftNodeOptions = RaftNodeOptions()
    ) throws -> LogIndex {
        let store = try LMDBLogStore(environment: environment)
        let sessions = try ClientSessions(
            environment: environment, expiryEntries: options.sessionExpiryEntries,
            maxResultBytes: options.maxSessionResultBytes)
        let catalog = try SnapshotCatalog(environment: environment)
        let persister = try ReadyPersister(
            store: store, sessions: sessions, stateMachine: stateMachine, catalog: catalog)
        guard try store.lastIndex() == 0, try store.hardState() == .initial, try persister.appliedIndex() == 0,
            try catalog.latest(in: environment) == nil, try store.clusterID() == nil
        else {
            throw RestoreRefused(
                reason: "\(environment.path) already holds a member's state; restore needs an empty data directory")
        }
        let applied: LogIndex
        do {
            applied = try SnapshotFile.verify(backupPath)
        } catch {
            throw RestoreRefused(reason: "\(backupPath) is not an intact KeyCluster backup: \(error)")
        }
        guard applied > 0 else { throw RestoreRefused(reason: "\(backupPath) holds no applied state") }
        // The new cluster's own term 1 and membership; the index carries on from the backup.
        let snapshot = SnapshotMetadata(index: applied, term: 1, configuration: membership)
        try? FileManager.default.removeItem(atPath: catalog.takingPath)
        try FileManager.default.copyItem(atPath: backupPath, toPath: catalog.takingPath)
        let copy = try FileHandle(forUpdating: URL(fileURLWithPath: catalog.takingPath))
        try copy.synchronize()
        try copy.close()
        try catalog.publish(catalog.takingPath, as: snapshot)
        let install = Ready(
            hardState: HardState(term: snapshot.term, vote: nil, commit: applied), snapshotToInstall: snapshot)
        do {
            _ = try environment.write { txn in
                _ = try persister.persist([install], in: txn)
                try store.setClusterID(clusterID, in: txn)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: catalog.path(of: snapshot))
            throw RestoreRefused(reason: "\(backupPath) cannot be installed here: \(error)")
        }
        return applied
    }
}
