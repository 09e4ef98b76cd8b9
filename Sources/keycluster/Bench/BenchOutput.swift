import ArgumentParser
import Foundation

/// How a bench reports: progress lines on standard error as each level or run finishes (silent under
/// `--json`), then the result — the Markdown table BENCHMARKS.md takes, or one JSON document.
struct BenchOutput: ParsableArguments {
    @Flag(help: "Print the result as JSON (no progress lines) instead of Markdown tables.")
    var json = false

    var progress: Progress { Progress(silent: json) }

    /// Prints `value` as JSON under `--json`, else runs `text`.
    func emit<Value: Encodable>(_ value: Value, text: () -> Void) throws {
        if json { return try ClusterOptions.printJSON(value) }
        text()
    }
}

extension LoadRun.Result {
    /// Throughput and latency as a JSON document names them.
    struct Summary: Encodable {
        var perSecond: Double
        var completed: Int
        var failed: Int
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var serverCPUMicrosecondsPerOperation: Double?
        var generatorCPUMicrosecondsPerOperation: Double?
    }

    var summary: Summary {
        Summary(
            perSecond: perSecond, completed: succeeded, failed: failed,
            p50Milliseconds: percentile(0.5).seconds * 1_000,
            p99Milliseconds: percentile(0.99).seconds * 1_000,
            serverCPUMicrosecondsPerOperation: serverMicrosecondsPerOperation,
            generatorCPUMicrosecondsPerOperation: generatorMicrosecondsPerOperation)
    }
}

extension ComparisonRow: Encodable {
    enum CodingKeys: String, CodingKey { case clients, keycluster, etcd, ratio }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(clients, forKey: .clients)
        try container.encode(keycluster.summary, forKey: .keycluster)
        try container.encodeIfPresent(etcd?.summary, forKey: .etcd)
        try container.encodeIfPresent(etcd.map { keycluster.perSecond / max($0.perSecond, 1) }, forKey: .ratio)
    }
}
