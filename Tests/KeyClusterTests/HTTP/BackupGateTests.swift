import Foundation
import Testing

@testable import KeyCluster

@Suite struct BackupGateTests {
    @Test func oneBackupAtATimeAndTheScratchFileGoesWithTheLease() throws {
        let gate = BackupGate()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("backup-gate-\(UUID().uuidString).tmp")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        do {
            let lease = try #require(gate.acquire())
            lease.own(path: path, handle: FileHandle(forReadingAtPath: path))
            #expect(gate.acquire() == nil, "a second backup must wait while one is in progress")
            withExtendedLifetime(lease) {}
        }
        #expect(!FileManager.default.fileExists(atPath: path), "the scratch file is removed when the lease goes")
        #expect(gate.acquire() != nil, "the gate is free again once the lease goes")
    }
}
