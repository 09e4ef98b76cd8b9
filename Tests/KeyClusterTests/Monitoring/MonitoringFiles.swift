import Foundation

/// Reading `Deploy/monitoring/` and a member's Prometheus exposition, for `MonitoringFilesTests`.
enum MonitoringFiles {
    /// The repository's `Deploy/monitoring/` directory, found from this source file (Tests/KeyClusterTests/Monitoring/…).
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Deploy/monitoring")

    static var alertsPath: String { directory.appendingPathComponent("alerts.yml").path }
    static var alertTestsPath: String { directory.appendingPathComponent("alerts.test.yml").path }
    static var dashboardPath: String { directory.appendingPathComponent("keycluster-dashboard.json").path }

    /// Series Prometheus makes itself rather than scraping them from a member.
    static let synthesizedByPrometheus: Set<String> = ["up"]

    /// Every metric name in PromQL expressions or prose of `text`: our own (`keycluster_…`), and the
    /// Prometheus-made ones used on our job (`up{job="keycluster"}`).
    static func referencedMetricNames(in text: String) -> Set<String> {
        var names = Set(text.matches(of: #/keycluster_[a-z0-9_]+/#).map { String($0.output) })
        if text.contains("up{job=") { names.insert("up") }
        return names
    }

    /// The dashboard's PromQL: every `expr` of every panel target, and the template variables' queries.
    static func dashboardExpressions(_ data: Data) throws -> [String] {
        guard let dashboard = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        var expressions: [String] = []
        for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let expr = target["expr"] as? String { expressions.append(expr) }
            }
        }
        let templating = dashboard["templating"] as? [String: Any]
        for variable in templating?["list"] as? [[String: Any]] ?? [] {
            if let query = variable["query"] as? String { expressions.append(query) }
        }
        return expressions
    }

    /// The sample names in an exposition (histograms show as `…_bucket`, `…_sum`, `…_count` and are also
    /// listed under their family name from `# TYPE`).
    static func exportedNames(_ exposition: String) -> Set<String> {
        var names: Set<String> = []
        for line in exposition.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                if let family = line.split(separator: " ").dropFirst(2).first { names.insert(String(family)) }
            } else if !line.hasPrefix("#"), let name = line.split(whereSeparator: { $0 == "{" || $0 == " " }).first {
                names.insert(String(name))
            }
        }
        return names
    }

    /// `# TYPE` of each family in an exposition, and the families with a non-empty `# HELP`.
    static func families(_ exposition: String) -> (types: [String: String], helped: Set<String>) {
        var types: [String: String] = [:]
        var helped: Set<String> = []
        for line in exposition.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 3)
            guard words.count >= 4, words[0] == "#" else { continue }
            if words[1] == "TYPE" { types[String(words[2])] = String(words[3]) }
            if words[1] == "HELP" && !words[3].trimmingCharacters(in: .whitespaces).isEmpty {
                helped.insert(String(words[2]))
            }
        }
        return (types, helped)
    }

    /// `promtool` on PATH, or nil (the Debian `prometheus` package; `Deploy/install-deps.sh` installs it as root).
    static var promtool: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/promtool" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
}
