import AsyncHTTPClient
import Foundation
import KeyCluster

/// A local cluster of `keycluster serve` child processes for benchmarks, in a temporary directory that
/// `shutdown()` removes after killing every process.
final class BenchCluster {
    let directory: String
    let layout: LocalClusterLayout
    let configurations: [NodeConfiguration]
    let http: HTTPClient
    private var processes: [UInt64: Process] = [:]

    var ids: [UInt64] { configurations.map(\.id) }

    /// First port tried for the members; each member takes two.
    static let basePort = 17_300
    /// How long to wait for a leader or a catch-up before giving up.
    static let maxWaitSeconds = 60.0

    init(members: Int, timing: NodeConfiguration.Timing) throws {
        directory = FileManager.default.temporaryDirectory.path + "/keycluster-bench-\(getpid())"
        layout = LocalClusterLayout(directory: directory)
        let regions = ["eu-west", "us-east", "ap-south", "eu-central", "us-west", "ap-east", "sa-east"]
        let plans = (0..<members).map { offset in
            LocalClusterLayout.MemberPlan(
                id: UInt64(offset + 1), region: regions[offset % regions.count],
                peerPort: Self.basePort + 2 * offset, clientPort: Self.basePort + 2 * offset + 1)
        }
        configurations = try layout.create(members: plans, timing: timing)
        http = try MemberClient.makeHTTPClient(caCertificatePath: layout.caCertificatePath)
    }

    func startAll() throws {
        for id in ids { try start(id) }
    }

    func start(_ id: UInt64) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.ownExecutable())
        process.arguments = ["serve", "--config", layout.configurationPath(of: id), "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        processes[id] = process
    }

    func kill(_ id: UInt64) {
        guard let process = processes.removeValue(forKey: id), process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func client(_ id: UInt64) -> MemberClient {
        MemberClient(address: configurations.first { $0.id == id }?.members.first { $0.id == id }?.clientAddress ?? "", http: http)
    }

    func status(_ id: UInt64) async throws -> ClusterStatusResponse {
        try await client(id).get("/v1/cluster/status", as: ClusterStatusResponse.self)
    }

    @discardableResult
    func write(key: String, via id: UInt64) async throws -> UInt64 {
        try await client(id).put("/debug/kv/\(key)", body: Array("x".utf8), as: WriteResponse.self).revision
    }

    /// Polls until every running member names the same leader and that member says it leads.
    func waitForLeader() async throws -> UInt64 {
        try await poll("a leader") {
            var leaders = Set<UInt64?>()
            for id in processes.keys { leaders.insert(try? await status(id).leader) }
            guard leaders.count == 1, let leader = leaders.first ?? nil else { return nil }
            return (try? await status(leader).role) == "leader" ? leader : nil
        }
    }

    /// Polls until every running member has applied the leader's commit index.
    func waitForCatchUp() async throws {
        let leader = try await waitForLeader()
        let commit = try await status(leader).commitIndex
        let _: Bool = try await poll("catch-up to \(commit)") {
            for id in processes.keys where ((try? await status(id).appliedIndex) ?? 0) < commit { return nil }
            return true
        }
    }

    /// Polling interval while waiting for cluster state.
    static let pollIntervalMilliseconds = 10

    private func poll<T>(_ what: String, _ probe: () async -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(Self.maxWaitSeconds)
        while ContinuousClock.now < deadline {
            if let value = await probe() { return value }
            try await Task.sleep(for: .milliseconds(Self.pollIntervalMilliseconds))
        }
        throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "timed out waiting for \(what)"])
    }

    func shutdown() {
        for id in Array(processes.keys) { kill(id) }
        try? http.syncShutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func ownExecutable() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }
}
