import Foundation
import KeyCluster
import KeyClusterTooling
import TestSupport

/// Fast timing for tests: 20 ms ticks, election after 10–20 ticks — the same logic as production timing.
let testTiming = NodeConfiguration.Timing(tickMilliseconds: 20, heartbeatTicks: 1, electionTicks: 10)

/// Runs `body` with a started cluster of real `keycluster serve` processes (one per region), and always
/// shuts it down — every process killed, every file removed. On failure, prints the tail of each member's log.
/// `configure` edits every member's configuration file before the members start; with `start: false` the
/// body starts them itself (after preparing their data directories, say).
func withProcessCluster(
    regions: [String], maxStalenessMilliseconds: Int? = nil, start: Bool = true,
    configure: ((inout NodeConfiguration) -> Void)? = nil, _ body: (LocalClusterProcesses) async throws -> Void
) async throws {
    let directory = try TemporaryDirectory("cluster")
    let cluster = try LocalClusterProcesses(
        directory: directory.path, regions: regions, timing: testTiming, executable: try KeyClusterBinary.path(),
        writesLogs: true, maxStalenessMilliseconds: maxStalenessMilliseconds)
    do {
        if let configure { try cluster.reconfigure(configure) }
        if start { try cluster.startAll() }
        try await body(cluster)
    } catch {
        for id in cluster.ids {
            let log = (try? String(contentsOfFile: cluster.logPath(of: id), encoding: .utf8)) ?? ""
            print("--- member \(id) log (tail) ---\n\(log.suffix(3_000))")
        }
        await cluster.shutdown()
        throw error
    }
    await cluster.shutdown()
}

/// A `configure` for `withProcessCluster` that changes only the admission limits, from the defaults when the
/// file sets none.
func admission(_ change: @escaping (inout AdmissionLimits) -> Void) -> (inout NodeConfiguration) -> Void {
    { configuration in
        var limits = configuration.admission ?? AdmissionLimits()
        change(&limits)
        configuration.admission = limits
    }
}

/// The value of the sample `series` (a metric name, with its labels as the member prints them, e.g.
/// `keycluster_admission_in_flight_requests{class="unlock"}`) in a Prometheus text exposition.
func metricSample(_ metrics: String, _ series: String) -> Double? {
    let prefix = series + " "
    return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
}
