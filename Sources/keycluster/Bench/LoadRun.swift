import Foundation

/// Runs `operation` from `clients` concurrent loops for `duration` and reports throughput and latency.
/// Each loop issues its next operation when the previous one answers (closed loop), like real clients.
struct LoadRun {
    let clients: Int
    let duration: Duration

    struct Result {
        let succeeded: Int
        let failed: Int
        let elapsed: Duration
        /// Latencies of successful operations, sorted.
        let latencies: [Duration]
        /// CPU used by the servers and by the generator over the run (when the servers were named).
        var cpu: CPUMeter.Reading? = nil

        /// Server CPU microseconds per completed operation.
        var serverMicrosecondsPerOperation: Double? {
            guard let cpu, succeeded > 0 else { return nil }
            return cpu.serverSeconds * 1e6 / Double(succeeded)
        }

        var generatorMicrosecondsPerOperation: Double? {
            guard let cpu, succeeded > 0 else { return nil }
            return cpu.generatorSeconds * 1e6 / Double(succeeded)
        }

        var perSecond: Double { Double(succeeded) / elapsed.seconds }

        func percentile(_ fraction: Double) -> Duration {
            guard !latencies.isEmpty else { return .zero }
            return latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))]
        }
    }

    /// Latency samples kept per client loop at most (later ones are counted, not stored).
    static let maxSamplesPerClient = 200_000

    /// `servers`: the processes whose CPU time the run is charged (every member of the system measured).
    func run(servers: [pid_t] = [], _ operation: @escaping @Sendable (_ client: Int, _ sequence: Int) async -> Bool)
        async -> Result
    {
        precondition(clients > 0, "at least one client")
        let meter = servers.isEmpty ? nil : CPUMeter(servers: servers)
        let start = ContinuousClock.now
        let deadline = start + duration
        let perClient = await withTaskGroup(of: (Int, Int, [Duration]).self) { group in
            for client in 0..<clients {
                group.addTask {
                    var succeeded = 0
                    var failed = 0
                    var latencies: [Duration] = []
                    var sequence = 0
                    while ContinuousClock.now < deadline {
                        sequence += 1
                        let began = ContinuousClock.now
                        if await operation(client, sequence) {
                            succeeded += 1
                            if latencies.count < Self.maxSamplesPerClient {
                                latencies.append(ContinuousClock.now - began)
                            }
                        } else {
                            failed += 1
                        }
                    }
                    return (succeeded, failed, latencies)
                }
            }
            return await group.reduce(into: [(Int, Int, [Duration])]()) { $0.append($1) }
        }
        return Result(
            succeeded: perClient.reduce(0) { $0 + $1.0 }, failed: perClient.reduce(0) { $0 + $1.1 },
            elapsed: ContinuousClock.now - start, latencies: perClient.flatMap(\.2).sorted(), cpu: meter?.read())
    }
}

/// One load level measured on KeyCluster and, when etcd ran, on etcd.
struct ComparisonRow {
    let clients: Int
    let keycluster: LoadRun.Result
    let etcd: LoadRun.Result?
}

/// Parses `--clients 1,64,512`.
func clientLevels(_ text: String) throws -> [Int] {
    let levels = text.split(separator: ",").compactMap { Int($0) }
    guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 }) else { throw LoadRunInputError(text: text) }
    return levels
}

struct LoadRunInputError: Error, CustomStringConvertible {
    let text: String
    var description: String { "--clients must be positive integers separated by commas, got \(text)" }
}

/// Prints the Markdown table that goes into BENCHMARKS.md: throughput, latency and server CPU per operation
/// (the generator's own CPU per operation in brackets) for both systems, and their ratio.
func printComparison(_ rows: [ComparisonRow], keyclusterColumn: String, etcdColumn: String) {
    print(
        "\n| clients | \(keyclusterColumn) | p50 / p99 ms | server (generator) CPU µs/op | \(etcdColumn) | p50 / p99 ms | server (generator) CPU µs/op | KeyCluster ÷ etcd |"
    )
    print("|---|---|---|---|---|---|---|---|")
    func cpu(_ result: LoadRun.Result) -> String {
        guard let server = result.serverMicrosecondsPerOperation,
            let generator = result.generatorMicrosecondsPerOperation
        else { return "—" }
        return String(format: "%.0f (%.0f)", server, generator)
    }
    func latency(_ result: LoadRun.Result) -> String {
        "\(result.percentile(0.5).milliseconds) / \(result.percentile(0.99).milliseconds)"
    }
    for row in rows {
        let etcdColumns =
            row.etcd.map { etcd in
                "\(Int(etcd.perSecond)) | \(latency(etcd)) | \(cpu(etcd)) | \(String(format: "%.2f×", row.keycluster.perSecond / max(etcd.perSecond, 1)))"
            } ?? "— | — | — | —"
        print(
            "| \(row.clients) | \(Int(row.keycluster.perSecond)) | \(latency(row.keycluster)) | \(cpu(row.keycluster)) | \(etcdColumns) |"
        )
    }
}
