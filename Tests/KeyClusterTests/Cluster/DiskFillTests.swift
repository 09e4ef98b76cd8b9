import Foundation
import KeyCluster
import Storage
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import KeyClusterTooling
#endif

/// Full disks on a real cluster (design §9, issue 12): each member's data directory is a small tmpfs of its
/// own. Past the free-disk reserve the cluster refuses new grants with 507 but keeps its leader, keeps
/// unlocking and still takes a revocation; a member whose disk really fills holds its writes, survives a
/// restart on the full disk, and catches up by itself once space is freed. Needs root (mount); skipped
/// otherwise.
@Suite(
    "Full disks: the quota alarm, revocations through it, and recovery", .serialized,
    .enabled(if: getuid() == 0, "mounting a tmpfs per member needs root"))
struct DiskFillTests {
    let api = KeyAuthorizationAPITests()
    /// Each member's file system.
    static let fileSystemBytes = 48 << 20
    static let reserveBytes = 8 << 20
    /// What the fillers leave free: below the reserve, well above what revocations need.
    static let leftFreeBytes = 4 << 20

    struct Ready: Decodable {
        var writes: String
        var storageAlarms: [String]
    }

    @Test(
        "past the free-disk reserve grants get 507 naming the limit while unlocks and revocations go on; freed space clears the alarm by itself"
    )
    func diskFillAndRecovery() async throws {
        try await withProcessCluster(
            regions: ["eu-west", "us-east", "ap-south"], start: false,
            configure: { configuration in
                configuration.quota = StorageQuota(
                    freeDiskReserveBytes: Self.reserveBytes, checkIntervalMilliseconds: 200)
            }
        ) { cluster in
            let mounts = try cluster.ids.map { id in
                try SmallFileSystem(path: "\(cluster.layout.directory)/node-\(id)", bytes: Self.fileSystemBytes)
            }
            defer { for mount in mounts { mount.remove() } }
            try cluster.startAll()
            try await withOperatorClient(cluster) { operatorClient in
                try await scenario(cluster, mounts: mounts, operatorClient: operatorClient)
            }
            await cluster.shutdown()
        }
    }

    @Test(
        "a member whose disk really fills holds its writes while the others go on, catches up once space is freed, and restarted on a full disk serves unlocks"
    )
    func reallyFullDisk() async throws {
        // No reserve: the disk fills as if something else took the space faster than any alarm.
        try await withProcessCluster(
            regions: ["eu-west", "us-east", "ap-south"], start: false,
            configure: { configuration in
                configuration.quota = StorageQuota(freeDiskReserveBytes: 0, checkIntervalMilliseconds: 200)
            }
        ) { cluster in
            let mounts = try cluster.ids.map { id in
                try SmallFileSystem(path: "\(cluster.layout.directory)/node-\(id)", bytes: Self.fileSystemBytes)
            }
            defer { for mount in mounts { mount.remove() } }
            try cluster.startAll()
            try await withOperatorClient(cluster) { operatorClient in
                let leader = try await cluster.waitForLeader()
                let owner = KeyHolder()
                let driver = KeyHolder()
                try await cluster.waitForApplied(try await api.register(owner: owner, via: operatorClient))
                try await grant(driver, by: owner, in: cluster)
                let verifier = try api.verifier(cluster)
                let full = try #require(cluster.ids.first { $0 != leader })
                let fullMount = mounts[try #require(cluster.ids.firstIndex(of: full))]

                try fullMount.fill(leavingFreeBytes: 0)
                let value = String(repeating: "v", count: 32 << 10)
                var written = 0
                try await waitUntil("member \(full) says its writes wait for space", deadlineSeconds: 30) {
                    written += 1
                    _ = try await cluster.put("fill-\(written)", value, via: leader)
                    return await problemType(cluster.client(full), "/healthz")?.hasSuffix("storage-out-of-space")
                        == true
                }
                print("member \(full) out of space after \(written) writes of 32 KiB through the leader")
                #expect(await problemType(cluster.client(leader), "/healthz") == nil, "the leader is healthy")
                let revoked = try await revoke(driver, by: owner, in: cluster)
                for id in cluster.ids where id != full {
                    await expectRefused(driver, on: id, in: cluster, minRevision: revoked, verifier: verifier)
                }

                fullMount.removeFiller()
                try await waitUntil("member \(full) applies what it could not store", deadlineSeconds: 20) {
                    (try? await cluster.status(full).appliedIndex) ?? 0 >= revoked
                }
                #expect(await problemType(cluster.client(full), "/healthz") == nil, "healthy again")
                await expectRefused(driver, on: full, in: cluster, minRevision: revoked, verifier: verifier)

                // Full again with nothing left to store, and restarted: it starts and answers unlocks.
                try fullMount.fill(leavingFreeBytes: 0)
                _ = cluster.kill(full)
                try cluster.start(full)
                try await waitUntil(
                    "member \(full) unlocks for the owner after a restart on a full disk", deadlineSeconds: 20
                ) {
                    (try? await api.command(
                        owner, "unlock", via: cluster.client(full), minRevision: 0, verifier: verifier,
                        consistency: "bounded")) != nil
                }
                _ = try await api.command(
                    owner, "unlock", via: cluster.client(full), minRevision: revoked, verifier: verifier)
                fullMount.removeFiller()
            }
            await cluster.shutdown()
        }
    }

    private func withOperatorClient(_ cluster: LocalClusterProcesses, _ body: (MemberClient) async throws -> Void)
        async throws
    {
        let credential = try cluster.layout.issueOperator(name: "ops")
        let operatorHTTP = try MemberClient.makeHTTPClient(
            caCertificatePath: cluster.layout.caCertificatePath, clientCertificate: credential)
        do {
            try await body(
                MemberClient(address: cluster.client(try await cluster.waitForLeader()).address, http: operatorHTTP))
        } catch {
            try? await operatorHTTP.shutdown()
            throw error
        }
        try await operatorHTTP.shutdown()
    }

    private func scenario(_ cluster: LocalClusterProcesses, mounts: [SmallFileSystem], operatorClient: MemberClient)
        async throws
    {
        let leader = try await cluster.waitForLeader()
        let owner = KeyHolder()
        let driver = KeyHolder()
        let late = KeyHolder()
        let enrolled = try await api.register(owner: owner, via: operatorClient)
        try await cluster.waitForApplied(enrolled)
        let verifier = try api.verifier(cluster)
        try await grant(driver, by: owner, in: cluster)

        // Every disk below the reserve: the alarm stands everywhere, grants get 507 naming the limit.
        for mount in mounts { try mount.fill(leavingFreeBytes: Self.leftFreeBytes) }
        try await waitUntil("every member reports writes refused", deadlineSeconds: 15) {
            await cluster.ids.asyncAllSatisfy { id in
                (try? await cluster.client(id).get("/readyz", as: Ready.self).writes == "refused") ?? false
            }
        }
        do {
            try await grant(late, by: owner, in: cluster)
            Issue.record("a grant was accepted past the free-disk reserve")
        } catch MemberClient.CallError.problem(let status, let type, let title, let retryAfter, _) {
            #expect(status == 507 && type.hasSuffix("no-space") && retryAfter != nil, "\(status) \(type) \(title)")
        }
        try await waitUntil("all three alarms in /metrics", deadlineSeconds: 10) {
            (try? await cluster.client(leader).text("/metrics"))?.contains(
                "keycluster_storage_alarm{kind=\"diskReserve\"} 3.0") == true
        }
        // Unlocks go on, strict and bounded, on every member; a revocation passes and is in force at once.
        for id in cluster.ids {
            _ = try await api.command(driver, "unlock", via: cluster.client(id), minRevision: 0, verifier: verifier)
            _ = try await api.command(
                driver, "unlock", via: cluster.client(id), minRevision: 0, verifier: verifier, consistency: "bounded")
        }
        let revoked = try await revoke(driver, by: owner, in: cluster)
        try await expectRefused(driver, everywhereIn: cluster, minRevision: revoked, verifier: verifier)

        // Space back: the alarms clear by themselves and grants are taken again.
        for mount in mounts { mount.removeFiller() }
        try await waitUntil("alarms cleared", deadlineSeconds: 15) {
            (try? await cluster.client(leader).get("/readyz", as: Ready.self).writes == "accepted") ?? false
        }
        try await grant(late, by: owner, in: cluster)
    }

    private func grant(_ key: KeyHolder, by owner: KeyHolder, in cluster: LocalClusterProcesses) async throws {
        let revision = try await api.signed(
            owner, cluster.client(try await cluster.waitForLeader()),
            path: "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)/keys",
            command: "grant", body: try api.grantBody(key, role: "driver"))
        try await cluster.waitForApplied(revision)
    }

    private func revoke(_ key: KeyHolder, by owner: KeyHolder, in cluster: LocalClusterProcesses) async throws -> UInt64
    {
        try await api.signed(
            owner, cluster.client(try await cluster.waitForLeader()),
            path: "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)/keys/\(key.keyID.text)/revoke", command: "revoke")
    }

    /// Every member refuses `key` (403) for a strict unlock after the revision of its revocation.
    private func expectRefused(
        _ key: KeyHolder, everywhereIn cluster: LocalClusterProcesses, minRevision: UInt64,
        verifier: UnlockTokenVerifier
    ) async throws {
        for id in cluster.ids {
            await expectRefused(key, on: id, in: cluster, minRevision: minRevision, verifier: verifier)
        }
    }

    /// Member `id` refuses `key` (403) for a strict unlock after `minRevision`; any other answer is recorded.
    private func expectRefused(
        _ key: KeyHolder, on id: UInt64, in cluster: LocalClusterProcesses, minRevision: UInt64,
        verifier: UnlockTokenVerifier
    ) async {
        do {
            _ = try await api.command(
                key, "unlock", via: cluster.client(id), minRevision: minRevision, verifier: verifier)
            Issue.record("member \(id) unlocked for a revoked key")
        } catch MemberClient.CallError.problem(let status, _, let title, _, _) {
            #expect(status == 403, "member \(id): \(title)")
        } catch {
            Issue.record("member \(id): \(error)")
        }
    }

    /// The problem type `path` answers with, or nil when it answers 2xx (or not at all).
    private func problemType(_ client: MemberClient, _ path: String) async -> String? {
        do {
            _ = try await client.text(path)
            return nil
        } catch MemberClient.CallError.problem(_, let type, _, _, _) {
            return type
        } catch {
            return nil
        }
    }
}

/// A tmpfs of a fixed size mounted at a path for one test, with a filler file to take its space away.
struct SmallFileSystem: Sendable {
    let path: String
    var fillerPath: String { "\(path)/filler" }

    init(path: String, bytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes),mode=0700", "tmpfs", path])
    }

    /// Writes the filler until at most `leavingFreeBytes` are free (0: until the file system is full).
    func fill(leavingFreeBytes: Int) throws {
        let descriptor = open(fillerPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x5A, count: 64 << 10)
        while let free = DiskSpace.availableBytes(at: path), free > leavingFreeBytes {
            let written = chunk.withUnsafeBytes {
                write(descriptor, $0.baseAddress, min(chunk.count, max(free - leavingFreeBytes, 4_096)))
            }
            if written <= 0 { break }  // full
        }
    }

    func removeFiller() { unlink(fillerPath) }

    /// Unmounts (lazily: a member may still hold files open) and removes the mount point.
    func remove() {
        try? Self.run("/bin/umount", ["-l", path])
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EPERM) }
    }
}

extension Array where Element: Sendable {
    /// Whether `predicate` holds for every element, asked one at a time.
    func asyncAllSatisfy(_ predicate: (Element) async throws -> Bool) async rethrows -> Bool {
        for element in self where try await !predicate(element) { return false }
        return true
    }
}
