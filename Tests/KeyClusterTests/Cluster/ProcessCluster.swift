import AsyncHTTPClient
import Foundation
import KeyCluster
import TestSupport

/// Real `keycluster serve` processes on loopback, each with its own data directory, ports, certificate and
/// log file. `shutdown()` kills every process it started and removes every file; a failing test calls it too.
final class ProcessCluster: @unchecked Sendable {
    // @unchecked: used from one test task at a time; the mutable dictionary is never shared concurrently.
    let directory: TemporaryDirectory
    let layout: LocalClusterLayout
    let configurations: [NodeConfiguration]
    let http: HTTPClient
    private var processes: [UInt64: ChildProcess] = [:]

    var ids: [UInt64] { configurations.map(\.id) }

    /// Fast timing for tests: 20 ms ticks, election after 10–20 ticks. Same logic as production timing.
    static let testTiming = NodeConfiguration.Timing(tickMilliseconds: 20, heartbeatTicks: 1, electionTicks: 10)

    init(regions: [String], timing: NodeConfiguration.Timing = ProcessCluster.testTiming) throws {
        directory = try TemporaryDirectory("cluster")
        layout = LocalClusterLayout(directory: directory.path)
        let ports = try FreePorts.allocate(regions.count * 2)
        let plans = regions.enumerated().map { offset, region in
            LocalClusterLayout.MemberPlan(
                id: UInt64(offset + 1), region: region, peerPort: ports[2 * offset], clientPort: ports[2 * offset + 1])
        }
        configurations = try layout.create(members: plans, timing: timing)
        http = try MemberClient.makeHTTPClient(caCertificatePath: layout.caCertificatePath)
    }

    func startAll() throws {
        for id in ids { try start(id) }
    }

    func start(_ id: UInt64) throws {
        precondition(processes[id]?.isRunning != true, "member \(id) is already running")
        processes[id] = try ChildProcess(
            executable: try KeyClusterBinary.path(),
            arguments: ["serve", "--config", layout.configurationPath(of: id)],
            logFile: directory.appending("node-\(id).log"))
    }

    func kill(_ id: UInt64, signal: Int32 = SIGKILL) {
        processes[id]?.kill(signal)
        processes[id] = nil
    }

    var running: [UInt64] { ids.filter { processes[$0]?.isRunning == true } }

    func client(_ id: UInt64) -> MemberClient {
        let address = configurations.first { $0.id == id }?.members.first { $0.id == id }?.clientAddress ?? ""
        return MemberClient(address: address, http: http)
    }

    func status(_ id: UInt64) async throws -> ClusterStatusResponse {
        try await client(id).get("/v1/cluster/status", as: ClusterStatusResponse.self)
    }

    /// The leader all running members agree on.
    func waitForLeader(deadlineSeconds: Double = 30) async throws -> UInt64 {
        var leader: UInt64?
        try await waitUntil("a leader all running members agree on", deadlineSeconds: deadlineSeconds) {
            var seen = Set<UInt64?>()
            for id in running { seen.insert(try? await status(id).leader) }
            leader = seen.count == 1 ? seen.first ?? nil : nil
            guard let leader else { return false }
            return (try? await status(leader).role) == "leader"
        }
        guard let leader else { throw DeadlineExceeded(what: "leader election", seconds: deadlineSeconds) }
        return leader
    }

    /// Waits until every running member has applied at least `revision`.
    func waitForApplied(_ revision: UInt64, deadlineSeconds: Double = 30) async throws {
        try await waitUntil("every running member applied \(revision)", deadlineSeconds: deadlineSeconds) {
            for id in running {
                guard let applied = try? await status(id).appliedIndex, applied >= revision else { return false }
            }
            return true
        }
    }

    /// Writes `value` under `key` through member `id`; returns the revision it committed at.
    func put(_ key: String, _ value: String, via id: UInt64) async throws -> UInt64 {
        try await client(id).put("/debug/kv/\(key)", body: Array(value.utf8), as: WriteResponse.self).revision
    }

    /// Increments counter `key` through member `id`; returns the value after the increment.
    func increment(_ key: String, via id: UInt64) async throws -> UInt64 {
        try await client(id).post("/debug/counter/\(key)", as: WriteResponse.self).counter ?? 0
    }

    func counter(_ key: String, on id: UInt64) async throws -> UInt64 {
        UInt64(try await client(id).get("/debug/counter/\(key)", as: DebugValueResponse.self).value) ?? 0
    }

    func process(_ id: UInt64) -> ChildProcess? { processes[id] }

    func value(_ key: String, on id: UInt64) async throws -> String? {
        do {
            return try await client(id).get("/debug/kv/\(key)", as: DebugValueResponse.self).value
        } catch MemberClient.CallError.problem(status: 404, _, _, _) {
            return nil
        }
    }

    func log(of id: UInt64) -> String {
        (try? String(contentsOfFile: directory.appending("node-\(id).log"), encoding: .utf8)) ?? ""
    }

    func shutdown() async {
        for id in ids { kill(id) }
        try? await http.shutdown()
        directory.remove()
    }

    /// Runs `body` with a started cluster and always shuts it down; on failure prints the members' logs tail.
    static func with(regions: [String], _ body: (ProcessCluster) async throws -> Void) async throws {
        let cluster = try ProcessCluster(regions: regions)
        do {
            try cluster.startAll()
            try await body(cluster)
        } catch {
            for id in cluster.ids { print("--- member \(id) log (tail) ---\n\(cluster.log(of: id).suffix(3_000))") }
            await cluster.shutdown()
            throw error
        }
        await cluster.shutdown()
    }
}
