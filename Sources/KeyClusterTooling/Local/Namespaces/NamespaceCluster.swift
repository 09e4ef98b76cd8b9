import AsyncHTTPClient
import Foundation
import KeyCluster

/// The multi-region simulation (`Deploy/netns-cluster.sh`) driven from Swift, for the partition suite and
/// `keycluster bench regions`: each member in its own network namespace, delays between regions, and the
/// nemesis — kill a member or a region, cut members off, cut one way, heal. The script does the work, so
/// an operator and the tests build the very same network; this type adds the members' addresses and an
/// HTTP client that reaches them. `down()` removes everything (the script's sweep also removes what a
/// crashed earlier run left, because each cluster names this process as its owner).
public final class NamespaceCluster: MemberStatusPolling {
    public struct Options: Sendable {
        /// 3 (regions 1-1-1) or 5 (2-2-1).
        public var size = 3
        public var tickMilliseconds = 50
        public var electionTicks = 10
        public var maxStalenessMilliseconds: Int?
        /// `regionA:regionB:ms,…` one-way delays; nil keeps the script's (RTT 40–80 ms).
        public var delays: String?

        public init() {}
    }

    public let script: String
    public let directory: String
    public let members: [NodeConfiguration.Member]
    public let caCertificatePath: String
    public let http: HTTPClient

    /// Why the simulation cannot run on this machine (not root, tools or namespaces missing), or nil.
    public static func unavailableReason(script: String) -> String? {
        guard getuid() == 0 else { return "not root: network namespaces and nftables need root" }
        do {
            _ = try runScript(script, ["check"], environment: [:])
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Lays out and starts a cluster in `directory` (which must not exist yet) with `binary`'s members.
    public init(script: String, binary: String, directory: String, options: Options) throws {
        precondition(options.size == 3 || options.size == 5, "the simulation lays out 3 or 5 members")
        self.script = script
        self.directory = directory
        var environment = [
            "KEYCLUSTER_NETNS_DIR": directory, "KEYCLUSTER_BINARY": binary, "KEYCLUSTER_NETNS_OWNER": "\(getpid())",
            "KEYCLUSTER_NETNS_TICK_MS": "\(options.tickMilliseconds)",
            "KEYCLUSTER_NETNS_ELECTION_TICKS": "\(options.electionTicks)",
        ]
        if let staleness = options.maxStalenessMilliseconds {
            environment["KEYCLUSTER_NETNS_MAX_STALENESS_MS"] = "\(staleness)"
        }
        if let delays = options.delays { environment["KEYCLUSTER_NETNS_DELAYS"] = delays }
        do {
            _ = try Self.runScript(script, ["up", "\(options.size)"], environment: environment)
            let configuration = try NodeConfiguration.load(from: "\(directory)/node-1.json")
            members = configuration.members
            caCertificatePath = configuration.tls.caCertificate
            // An operator: the script turns the debug routes on, and they serve operators only.
            http = try MemberClient.makeHTTPClient(
                caCertificatePath: caCertificatePath,
                clientCertificate: try LocalClusterLayout(directory: directory).issueOperator(name: "netns"))
        } catch {
            _ = try? Self.runScript(script, ["down"], environment: ["KEYCLUSTER_NETNS_DIR": directory])
            throw error
        }
    }

    public var ids: [UInt64] { members.map(\.id) }

    public func region(of id: UInt64) -> String { members.first { $0.id == id }?.region ?? "?" }

    public func client(_ id: UInt64) -> MemberClient {
        MemberClient(address: members.first { $0.id == id }?.clientAddress ?? "", http: http)
    }

    public func logPath(of id: UInt64) -> String { "\(directory)/node-\(id).log" }

    /// Runs one of the script's commands on this cluster: `kill 2`, `isolate eu-west`, `cut 1 2,3`, `heal`….
    @discardableResult
    public func run(_ arguments: String...) throws -> String {
        try Self.runScript(script, arguments, environment: ["KEYCLUSTER_NETNS_DIR": directory])
    }

    public func status(_ id: UInt64) async throws -> ClusterStatusResponse {
        try await client(id).get("/v1/cluster/status", as: ClusterStatusResponse.self)
    }

    /// How long `waitForLeader` and `waitForApplied` poll before giving up.
    public static let maxWaitSeconds = 60.0
    /// Interval between polls of the members' status.
    public static let pollIntervalMilliseconds = 20

    /// A member that says it leads and that every member in `among` (default: all) names as leader.
    public func waitForLeader(among: [UInt64]? = nil) async throws -> UInt64 {
        try await waitForLeader(agreedBy: among ?? ids)
    }

    /// Waits until every member in `among` (default: all) has applied at least `revision`.
    public func waitForApplied(_ revision: UInt64, among: [UInt64]? = nil) async throws {
        try await waitForApplied(revision, by: among ?? ids)
    }

    /// Stops every process and removes the namespaces, links, rules and files.
    public func down() async {
        try? await http.shutdown()
        _ = try? Self.runScript(script, ["down"], environment: ["KEYCLUSTER_NETNS_DIR": directory])
    }

    /// The script failed; its output says why.
    public struct ScriptFailed: Error, CustomStringConvertible {
        public let arguments: [String]
        public let status: Int32
        public let output: String
        public var description: String {
            "netns-cluster.sh \(arguments.joined(separator: " ")) exited \(status): \(output)"
        }
    }

    /// Runs the script to completion; its output (stdout and stderr) is returned, or thrown with the status.
    private static func runScript(_ script: String, _ arguments: [String], environment: [String: String]) throws
        -> String
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        try? output.fileHandleForReading.close()
        let status = exitStatus(of: process)
        let text = String(decoding: bytes, as: UTF8.self)
        guard status == 0 else { throw ScriptFailed(arguments: arguments, status: status, output: text) }
        return text
    }

    /// Reaps `process` with `waitpid` rather than `Process.waitUntilExit()`, which was seen never to
    /// return for a script whose background children outlive it (its SIGCHLD went unnoticed, the
    /// script stayed a zombie). When Foundation reaped it first, its own status is used.
    private static func exitStatus(of process: Process) -> Int32 {
        var status: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(process.processIdentifier, &status, 0) } while reaped == -1 && errno == EINTR
        guard reaped == process.processIdentifier else {
            process.waitUntilExit()
            return process.terminationStatus
        }
        // The wait status: exit code in bits 8–15 when the low 7 bits (the terminating signal) are 0.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
