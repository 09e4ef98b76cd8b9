import Foundation
import RaftNode
import Storage
import TestSupport
import Testing

@Suite("State-machine snapshot files")
struct SnapshotFileTests {
    func withEnvironments(_ body: (Environment, Environment, [Database], [Database], TemporaryDirectory) throws -> Void)
        async throws
    {
        try await TemporaryDirectory.with("snapshot") { directory in
            let source = try Environment(
                path: directory.appending("source"), options: EnvironmentOptions(durability: .noSync))
            let target = try Environment(
                path: directory.appending("target"), options: EnvironmentOptions(durability: .noSync))
            let names = ["grants", "audit"]
            try body(
                source, target, try names.map { try source.openDatabase($0) },
                try names.map { try target.openDatabase($0) }, directory)
        }
    }

    @Test("a snapshot installed elsewhere reproduces every entry and replaces what was there")
    func roundTripReplacesContents() async throws {
        try await withEnvironments { source, target, sourceDBs, targetDBs, directory in
            try source.write { txn in
                for index in 0..<500 {
                    try txn.put(
                        Array(repeating: UInt8(index % 256), count: index % 300), for: .bigEndian(UInt32(index)),
                        in: sourceDBs[0])
                }
                try txn.put(Array("entry".utf8), for: Array("a".utf8), in: sourceDBs[1])
            }
            try target.write { txn in try txn.put(Array("stale".utf8), for: Array("old".utf8), in: targetDBs[0]) }
            let path = directory.appending("snap.bin")
            try SnapshotFile.write(from: source, databases: sourceDBs, to: path) { _ in 42 }
            let applied = try target.write { txn in try SnapshotFile.install(from: path, into: targetDBs, in: txn) }
            #expect(applied == 42)
            let copied = try target.read { txn in try (txn.entries(targetDBs[0]), txn.entries(targetDBs[1])) }
            let original = try source.read { txn in try (txn.entries(sourceDBs[0]), txn.entries(sourceDBs[1])) }
            #expect(copied.0.map(\.key) == original.0.map(\.key) && copied.0.map(\.value) == original.0.map(\.value))
            #expect(copied.1.map(\.value) == [Array("entry".utf8)])
            #expect(try target.read { txn in try txn.get(Array("old".utf8), in: targetDBs[0]) } == nil)
        }
    }

    @Test("a truncated or corrupted snapshot is refused and changes nothing")
    func damagedFilesAreRefused() async throws {
        try await withEnvironments { source, target, sourceDBs, targetDBs, directory in
            try source.write { txn in try txn.put(Array("v".utf8), for: Array("k".utf8), in: sourceDBs[0]) }
            try target.write { txn in try txn.put(Array("keep".utf8), for: Array("mine".utf8), in: targetDBs[0]) }
            let path = directory.appending("snap.bin")
            try SnapshotFile.write(from: source, databases: sourceDBs, to: path) { _ in 7 }
            let good = try #require(FileManager.default.contents(atPath: path))
            var flipped = [UInt8](good)
            flipped[12] ^= 0x40
            // The last value's byte, just before the 17-byte trailer: every record still parses, and only the
            // checksum — computed while installing, after the writes — tells.
            var flippedValue = [UInt8](good)
            flippedValue[good.count - 18] ^= 0x01
            let damagedFiles = [
                Data(good.prefix(good.count - 3)), Data(flipped), Data(flippedValue), good + Data([0]),
                Data("garbage".utf8),
            ]
            for damaged in damagedFiles {
                #expect(FileManager.default.createFile(atPath: path, contents: damaged))
                #expect(throws: SnapshotFile.Invalid.self) {
                    try target.write { txn in try SnapshotFile.install(from: path, into: targetDBs, in: txn) }
                }
                #expect(
                    try target.read { txn in try txn.get(Array("mine".utf8), in: targetDBs[0]) } == Array("keep".utf8))
            }
        }
    }
}

@Suite("State-machine snapshot files: bounded buffers")
struct SnapshotFileBufferTests {
    @Test("a snapshot several buffers long, with records across buffer boundaries, round-trips and verifies")
    func largeSnapshotRoundTrips() async throws {
        try await TemporaryDirectory.with("snapshot-large") { directory in
            let source = try Environment(
                path: directory.appending("source"), options: EnvironmentOptions(durability: .noSync))
            let target = try Environment(
                path: directory.appending("target"), options: EnvironmentOptions(durability: .noSync))
            let sourceDB = try source.openDatabase("values")
            let targetDB = try target.openDatabase("values")
            // 3 MiB of 10 007-byte values: records straddle every 1 MiB read.
            let valueBytes = 10_007
            let count = 3 * (1 << 20) / valueBytes
            try source.write { txn in
                for index in 0..<count {
                    try txn.put(
                        Array(repeating: UInt8(index % 251), count: valueBytes), for: .bigEndian(UInt32(index)),
                        in: sourceDB)
                }
            }
            let path = directory.appending("snap.bin")
            try SnapshotFile.write(from: source, databases: [sourceDB], to: path) { _ in 99 }
            #expect(try SnapshotFile.verify(path) == 99)
            #expect(try target.write { txn in try SnapshotFile.install(from: path, into: [targetDB], in: txn) } == 99)
            let copied = try target.read { txn in try txn.entries(targetDB) }
            #expect(copied.count == count)
            #expect(copied.allSatisfy { $0.value.count == valueBytes })
            #expect(copied.last?.value.first == UInt8((count - 1) % 251))
        }
    }
}
