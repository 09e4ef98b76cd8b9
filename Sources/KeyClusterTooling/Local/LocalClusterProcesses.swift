import AsyncHTTPClient
import Foundation
import KeyCluster
import Synchronization

/// A cluster of real `keycluster serve` processes on this machine — for the demo, the benchmarks and the
/// cluster tests. Each member has its own data directory, ports (free ones, picked by the kernel), certificate
/// and log file. `shutdown()` kills every process it started and removes the directory.
public final class LocalClusterProcesses: MemberStatusPolling {
    public let layout: LocalClusterLayout
    public let configurations: [NodeConfiguration]
    /// Anonymous (no client certificate): what a stranger's client gets.
    public let http: HTTPClient
    /// With an operator certificate, for the diagnostic routes (`put`, `value`, `increment`, `counter`).
    private let operatorHTTP: HTTPClient
    private let executable: String
    private let writesLogs: Bool
    private let processes = Mutex<[UInt64: SpawnedProcess]>([:])
    /// Members added after the cluster was laid out (`addJoiningMember`).
    private let joined = Mutex<[NodeConfiguration]>([])
    private let timing: NodeConfiguration.Timing
    private let maxStalenessMilliseconds: Int?

    /// How long `waitFor…` polls before giving up.
    public static let maxWaitSeconds = 60.0
    /// Interval between polls of the members' status.
    public static let pollIntervalMilliseconds = 10

    /// Lays out one member per region in `directory` (created, and removed by `shutdown()`). With
    /// `writesLogs`, each member's output goes to `node-N.log` there; otherwise it is discarded.
    public init(
        directory: String, regions: [String], timing: NodeConfiguration.Timing, executable: String, writesLogs: Bool,
        maxStalenessMilliseconds: Int? = nil
    ) throws {
        precondition(!regions.isEmpty, "a cluster has members")
        layout = LocalClusterLayout(directory: directory)
        let ports = try FreePorts.allocate(regions.count * 2)
        let plans = regions.enumerated().map { offset, region in
            LocalClusterLayout.MemberPlan(
                id: UInt64(offset + 1), region: region, peerPort: ports[2 * offset], clientPort: ports[2 * offset + 1])
        }
        // Test and benchmark clusters: the debug routes are on (for operators: `operatorClient`).
        configurations = try layout.create(
            members: plans, timing: timing, maxStalenessMilliseconds: maxStalenessMilliseconds, debugRoutes: true)
        http = try MemberClient.makeHTTPClient(caCertificatePath: layout.caCertificatePath)
        operatorHTTP = try MemberClient.makeHTTPClient(
            caCertificatePath: layout.caCertificatePath,
            clientCertificate: try layout.issueOperator(name: "local-cluster"))
        self.executable = executable
        self.writesLogs = writesLogs
        self.timing = timing
        self.maxStalenessMilliseconds = maxStalenessMilliseconds
    }

    /// Edits every member's configuration file; for members not yet started (they read it at start).
    public func reconfigure(_ edit: (inout NodeConfiguration) -> Void) throws {
        for id in ids {
            let path = layout.configurationPath(of: id)
            var configuration = try NodeConfiguration.load(from: path)
            edit(&configuration)
            try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: path))
        }
    }

    /// Every member laid out, those added by `addJoiningMember` included.
    public var ids: [UInt64] { allConfigurations.map(\.id) }

    private var allConfigurations: [NodeConfiguration] { configurations + joined.withLock { $0 } }

    /// Member `id` as its own configuration file describes it.
    public func member(_ id: UInt64) -> NodeConfiguration.Member? {
        allConfigurations.first { $0.id == id }?.members.first { $0.id == id }
    }

    /// Lays out a new member in `region` that joins the running cluster (not started, not yet added): its
    /// file lists every member laid out so far. Returns its id, one above the highest so far.
    public func addJoiningMember(region: String) throws -> UInt64 {
        let ports = try FreePorts.allocate(2)
        let existing = allConfigurations.compactMap { configuration in
            configuration.members.first { $0.id == configuration.id }
        }
        let id = (existing.map(\.id).max() ?? 0) + 1
        let configuration = try layout.createJoining(
            .init(id: id, region: region, peerPort: ports[0], clientPort: ports[1]), existing: existing, timing: timing,
            maxStalenessMilliseconds: maxStalenessMilliseconds, debugRoutes: true)
        joined.withLock { $0.append(configuration) }
        return id
    }

    public var running: [UInt64] {
        processes.withLock { processes in ids.filter { processes[$0]?.isRunning == true } }
    }

    public func region(of id: UInt64) -> String {
        member(id)?.region ?? "?"
    }

    public func logPath(of id: UInt64) -> String { "\(layout.directory)/node-\(id).log" }

    /// Member `id`'s data directory (its LMDB environment and snapshots).
    public func dataDirectory(of id: UInt64) -> String? {
        allConfigurations.first { $0.id == id }?.dataDirectory
    }

    public func startAll() throws {
        for id in ids { try start(id) }
    }

    public func start(_ id: UInt64) throws {
        var output: Int32?
        if writesLogs {
            let descriptor = open(logPath(of: id), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw SpawnedProcess.SpawnFailed(executable: logPath(of: id), code: errno) }
            output = descriptor
        }
        defer { if let output { close(output) } }
        try processes.withLock { processes in
            precondition(processes[id]?.isRunning != true, "member \(id) is already running")
            processes[id] = try SpawnedProcess(
                executable: executable, arguments: ["serve", "--config", layout.configurationPath(of: id)],
                outputDescriptor: output)
        }
    }

    /// Sends `signal` to member `id` and waits for it to exit; returns how it ended (nil: it was not running).
    @discardableResult
    public func kill(_ id: UInt64, signal: Int32 = SIGKILL) -> SpawnedProcess.Termination? {
        guard let process = processes.withLock({ $0.removeValue(forKey: id) }) else { return nil }
        return process.kill(signal)
    }

    /// The process ids of the running members: benchmarks read their CPU time from `/proc`.
    public var pids: [pid_t] {
        processes.withLock { processes in processes.values.filter(\.isRunning).map(\.pid) }
    }

    /// The process id of member `id` while it runs (a frozen member included): benchmarks read its memory
    /// and CPU time from `/proc` per member, which `pids` cannot attribute.
    public func pid(of id: UInt64) -> pid_t? {
        processes.withLock { processes in processes[id].flatMap { $0.isRunning ? $0.pid : nil } }
    }

    /// Sends `signal` to member `id` and leaves it running (SIGSTOP freezes it as a hung machine would:
    /// no reset reaches its peers; SIGCONT resumes it). Returns whether it was running.
    @discardableResult
    public func signal(_ id: UInt64, _ signal: Int32) -> Bool {
        guard let process = processes.withLock({ $0[id] }), process.isRunning else { return false }
        return Foundation.kill(process.pid, signal) == 0
    }

    public func client(_ id: UInt64) -> MemberClient {
        MemberClient(address: member(id)?.clientAddress ?? "", http: http)
    }

    /// Member `id` through the operator's client (the diagnostic routes answer operators only).
    public func operatorClient(_ id: UInt64) -> MemberClient {
        MemberClient(address: member(id)?.clientAddress ?? "", http: operatorHTTP)
    }

    public func status(_ id: UInt64) async throws -> ClusterStatusResponse {
        try await client(id).get("/v1/cluster/status", as: ClusterStatusResponse.self)
    }

    /// Writes `value` under debug key `key` through member `id`; returns the revision it committed at.
    @discardableResult
    public func put(_ key: String, _ value: String = "x", via id: UInt64) async throws -> UInt64 {
        try await operatorClient(id).put("/debug/kv/\(key)", body: Array(value.utf8), as: WriteResponse.self).revision
    }

    /// The debug value under `key` on member `id` (its local state), or nil when it has none.
    public func value(_ key: String, on id: UInt64) async throws -> String? {
        do {
            return try await operatorClient(id).get("/debug/kv/\(key)", as: DebugValueResponse.self).value
        } catch MemberClient.CallError.problem(status: 404, _, _, _, _) {
            return nil
        }
    }

    /// Increments debug counter `key` through member `id`; returns the value after the increment.
    public func increment(_ key: String, via id: UInt64) async throws -> UInt64 {
        try await operatorClient(id).post("/debug/counter/\(key)", as: WriteResponse.self).counter ?? 0
    }

    public func counter(_ key: String, on id: UInt64) async throws -> UInt64 {
        UInt64(try await operatorClient(id).get("/debug/counter/\(key)", as: DebugValueResponse.self).value) ?? 0
    }

    /// The leader every running member names, once that member says it leads.
    public func waitForLeader() async throws -> UInt64 {
        try await waitForLeader(agreedBy: running)
    }

    /// Waits until every running member has applied at least `revision`.
    public func waitForApplied(_ revision: UInt64) async throws {
        try await waitForApplied(revision, by: running)
    }

    /// Waits until every running member has applied what the leader has committed.
    public func waitForCatchUp() async throws {
        let leader = try await waitForLeader()
        try await waitForApplied(try await status(leader).commitIndex)
    }

    /// Stops every member (SIGKILL), closes the HTTP client and removes the cluster's directory.
    public func shutdown() async {
        for id in ids { kill(id) }
        try? await http.shutdown()
        try? await operatorHTTP.shutdown()
        try? FileManager.default.removeItem(atPath: layout.directory)
    }
}
