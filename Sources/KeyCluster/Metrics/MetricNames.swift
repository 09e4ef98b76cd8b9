import Prometheus

extension MetricNameDescriptor {
    /// `keycluster_<subsystem>_<name>_<unit>` with its HELP text: every series this service exports is
    /// named in one pattern, with its unit (or `total` for a counter) last.
    static func keycluster(_ subsystem: String, _ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "keycluster", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }
}

/// Histogram buckets, in seconds of wall time.
enum LatencyBuckets {
    /// Disk commits and applies: from a fast NVMe fsync (half a millisecond) to a disk stalling for seconds.
    static let storage: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5),
    ]
    /// Requests and proposals: a local read in a millisecond to a cross-region write timing out.
    static let request: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10),
    ]
}
