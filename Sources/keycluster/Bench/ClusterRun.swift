import AsyncHTTPClient
import Foundation
import KeyCluster
import KeyClusterTooling

/// Starts a local cluster of this very executable's `serve` processes in a temporary directory, runs
/// `body`, and always shuts it down (processes killed, files removed) — for the demo and the benchmarks.
func withLocalCluster<R>(
    regions: [String], timing: NodeConfiguration.Timing, admission: AdmissionLimits? = nil,
    _ body: (LocalClusterProcesses) async throws -> R
) async throws -> R {
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let directory = FileManager.default.temporaryDirectory.path + "/keycluster-local-\(getpid())"
    let cluster = try LocalClusterProcesses(
        directory: directory, regions: regions, timing: timing, executable: executable, writesLogs: false)
    do {
        if let admission { try cluster.reconfigure { $0.admission = admission } }
        try cluster.startAll()
        let result = try await body(cluster)
        await cluster.shutdown()
        return result
    } catch {
        await cluster.shutdown()
        throw error
    }
}

/// Runs `body` with two HTTP clients for `cluster`: one presenting an operator certificate, one anonymous
/// with up to `maxConnectionsPerMember` connections per member; both are shut down however `body` ends.
func withBenchClients<R>(
    _ cluster: LocalClusterProcesses, maxConnectionsPerMember: Int,
    _ body: (_ operatorHTTP: HTTPClient, _ http: HTTPClient) async throws -> R
) async throws -> R {
    let caPath = cluster.layout.caCertificatePath
    let operatorHTTP = try MemberClient.makeHTTPClient(
        caCertificatePath: caPath, clientCertificate: try cluster.layout.issueOperator(name: "bench"))
    let http = try MemberClient.makeHTTPClient(
        caCertificatePath: caPath, maxConnectionsPerMember: maxConnectionsPerMember)
    do {
        let result = try await body(operatorHTTP, http)
        try await http.shutdown()
        try await operatorHTTP.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        try? await operatorHTTP.shutdown()
        throw error
    }
}

/// The admission limits of benchmark clusters: every load-generating client comes from this machine's one
/// address and signs with one owner key, so the per-source connection cap and the fair shares of addresses
/// and of keys — which keep one client from taking a member — are lifted; the budgets themselves stay at
/// their defaults.
let benchmarkAdmission = AdmissionLimits(
    maxConnectionsPerSource: AdmissionLimits.defaultMaxConnections + AdmissionLimits.defaultMaxHandshakingConnections,
    maxSharePercent: 100,
    maxKeySharePercent: 100)

/// Region names for local clusters: 3 members 1-1-1, 5 members 2-2-1 (design §7).
func localRegions(members: Int) -> [String] {
    let regions = ["eu-west", "us-east", "ap-south"]
    return (0..<members).map { regions[$0 % regions.count] }
}
