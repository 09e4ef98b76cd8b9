import Foundation
import KeyClusterTooling
import RaftNode
import TestSupport
import Testing

@testable import KeyCluster

/// A backup names its cluster and is sealed with SHA-256: any change to a byte, a cut or an extension is
/// refused; the new cluster id a restore derives depends on the backup and the new membership.
@Suite("backup envelope and cluster ids")
struct BackupEnvelopeTests {
    static let cluster = ClusterID(bytes: (1...16).map { UInt8($0) })!

    private func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("envelope-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func sealedBackup(in directory: String, bytes: Int = 300_000) throws -> (
        path: String, contents: BackupEnvelope.Contents, state: Data
    ) {
        var generator = SystemRandomNumberGenerator()
        let state = Data((0..<bytes).map { _ in UInt8.random(in: 0 ... .max, using: &generator) })
        let path = "\(directory)/backup.kcsnap"
        try state.write(to: URL(fileURLWithPath: path))
        let contents = try BackupEnvelope.seal(path, clusterID: Self.cluster, appliedIndex: 42)
        return (path, contents, state)
    }

    @Test("sealed, opened and extracted: cluster, revision and the state come back intact")
    func roundTrip() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let backup = try sealedBackup(in: directory)
        let opened = try BackupEnvelope.open(backup.path)
        #expect(opened == backup.contents)
        #expect(
            opened.clusterID == Self.cluster && opened.appliedIndex == 42
                && opened.snapshotBytes == UInt64(backup.state.count))
        #expect(opened.digestHex.count == 64)
        try BackupEnvelope.extractSnapshot(from: backup.path, contents: opened, to: "\(directory)/state")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/state")) == backup.state)
    }

    @Test("one changed byte anywhere, a cut, an extension or no trailer at all: refused")
    func tampering() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let backup = try sealedBackup(in: directory)
        let original = try Data(contentsOf: URL(fileURLWithPath: backup.path))
        let victim = "\(directory)/victim"
        var generator = SeededGenerator(seed: TestSeed.make("BackupEnvelopeTests.tampering"))
        // Positions: the state's first and last byte, the cluster id, the revision, the digest, and random ones.
        var positions = [
            0, backup.state.count - 1, backup.state.count + 9, backup.state.count + 30, original.count - 1,
        ]
        for _ in 0..<8 { positions.append(Int.random(in: 0..<original.count, using: &generator)) }
        for position in positions {
            var altered = original
            altered[position] ^= 0x01
            try altered.write(to: URL(fileURLWithPath: victim))
            #expect(throws: BackupEnvelope.Refused.self, "byte \(position) changed") { try BackupEnvelope.open(victim) }
        }
        for variant in [
            original.prefix(original.count - 1), original + Data([0]), original.prefix(backup.state.count), Data(),
        ] {
            try Data(variant).write(to: URL(fileURLWithPath: victim))
            #expect(throws: BackupEnvelope.Refused.self) { try BackupEnvelope.open(victim) }
        }
    }

    @Test("cluster ids: the same inputs give the same id on every member; token, CA, members or backup change it")
    func derivation() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let layout = LocalClusterLayout(directory: directory)
        let configurations = try layout.create(members: [
            .init(id: 1, region: "eu", peerPort: 17_001, clientPort: 18_001),
            .init(id: 2, region: "us", peerPort: 17_002, clientPort: 18_002),
            .init(id: 3, region: "ap", peerPort: 17_003, clientPort: 18_003),
        ])
        let ids = try configurations.map(ClusterIDDerivation.bootstrap)
        #expect(Set(ids).count == 1, "every member of one cluster derives one id")
        var otherToken = configurations[0]
        otherToken.initialClusterToken = "another"
        var otherMembers = configurations[0]
        otherMembers.members[2].peerAddress = "127.0.0.1:17999"
        #expect(try ClusterIDDerivation.bootstrap(otherToken) != ids[0])
        #expect(try ClusterIDDerivation.bootstrap(otherMembers) != ids[0])
        let restored = try ClusterIDDerivation.restore(configurations[0], backupDigest: Array(repeating: 7, count: 32))
        #expect(restored != ids[0], "a restore makes a new cluster")
        #expect(
            try ClusterIDDerivation.restore(configurations[1], backupDigest: Array(repeating: 7, count: 32)) == restored
        )
        #expect(
            try ClusterIDDerivation.restore(configurations[0], backupDigest: Array(repeating: 8, count: 32)) != restored
        )
        // Another CA, same token and members.
        let otherLayout = LocalClusterLayout(directory: "\(directory)/other")
        _ = try otherLayout.create(members: [.init(id: 1, region: "eu", peerPort: 17_001, clientPort: 18_001)])
        var otherCA = configurations[0]
        otherCA.tls.caCertificate = otherLayout.caCertificatePath
        #expect(try ClusterIDDerivation.bootstrap(otherCA) != ids[0])
    }
}
