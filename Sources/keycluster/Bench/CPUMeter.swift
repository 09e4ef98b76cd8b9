import Foundation

/// CPU time spent over a measured window: by the server processes (every member, from `/proc/PID/stat`'s
/// utime + stime, all threads) and by this process, the load generator (`getrusage`). On a machine whose
/// cores the generator shares with the members, throughput alone mixes the two; CPU per operation does not
/// (issue 14, BENCHMARKS.md).
struct CPUMeter {
    let servers: [pid_t]
    private let serverStart: Double
    private let generatorStart: Double

    /// Starts measuring `servers` (a process that exits meanwhile counts up to its last sample: nothing).
    init(servers: [pid_t]) {
        self.servers = servers
        serverStart = servers.compactMap(Self.processSeconds).reduce(0, +)
        generatorStart = Self.selfSeconds()
    }

    struct Reading: Encodable {
        /// CPU seconds the server processes used in the window.
        var serverSeconds: Double
        /// CPU seconds the load generator (this process) used in the window.
        var generatorSeconds: Double
    }

    func read() -> Reading {
        Reading(
            serverSeconds: servers.compactMap(Self.processSeconds).reduce(0, +) - serverStart,
            generatorSeconds: Self.selfSeconds() - generatorStart)
    }

    /// utime + stime of `pid` in seconds, nil when it is gone or `/proc` is unreadable.
    static func processSeconds(_ pid: pid_t) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func selfSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
