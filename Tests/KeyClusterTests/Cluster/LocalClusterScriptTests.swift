import Foundation
import KeyCluster
import TestSupport
import Testing

/// `Deploy/local-cluster.sh`, the operator's one-machine cluster, driven as an operator would: a 5-member
/// cluster over regions 2-2-1, a whole region killed and restarted, a member restarted, and `down` leaving
/// no process and no file behind.
@Suite("Deploy/local-cluster.sh")
struct LocalClusterScriptTests {
    private static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Deploy/local-cluster.sh").path

    /// How many consecutive ports from a base the cluster needs free (5 peer + 5 client).
    static let portsPerCluster = 10

    /// Runs the script with `arguments` against the cluster in `directory`; returns its exit status and output.
    /// Output goes through a file: members the script starts outlive it and must not hold the test's pipe.
    private func run(_ arguments: [String], directory: String, basePort: Int) async throws -> (
        status: Int32, lines: [String]
    ) {
        let output = "\(directory).out"
        try? FileManager.default.removeItem(atPath: output)
        let child = try ChildProcess(
            executable: "/usr/bin/env",
            arguments: [
                "KEYCLUSTER_BINARY=\(try KeyClusterBinary.path())", "KEYCLUSTER_LOCAL_DIR=\(directory)",
                "KEYCLUSTER_LOCAL_PEER_PORT=\(basePort)", "KEYCLUSTER_LOCAL_CLIENT_PORT=\(basePort + 5)",
                "bash", Self.script,
            ] + arguments,
            logFile: output)
        let status = child.waitUntilExit().status
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return (status, text.split(separator: "\n").map(String.init))
    }

    /// Status lines of members that answered, and the leader they agree on (if a majority of 5 names one).
    private func agreedLeader(_ lines: [String]) -> Int? {
        // Member lines only: `cluster status` ends with a summary line (healthy/degraded/unavailable).
        let leaders = lines.filter { $0.hasPrefix("member ") && !$0.contains("unreachable") }.compactMap {
            line -> Int? in
            guard let range = line.range(of: "leader ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        guard let first = leaders.first, leaders.count >= 3, leaders.allSatisfy({ $0 == first }) else { return nil }
        return first
    }

    /// A base port with the next `portsPerCluster` ports free on loopback right now.
    private func freePortRange() -> Int? {
        for _ in 0..<100 {
            let base = Int.random(in: 20_000...40_000)
            if (base..<(base + Self.portsPerCluster)).allSatisfy(Self.isFree) { return base }
        }
        return nil
    }

    private static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    @Test("up 5 (2-2-1), kill and restart a region, restart a member, down leaves nothing running")
    func operatorSession() async throws {
        try await TemporaryDirectory.with("local-script") { scratch in
            let directory = scratch.appending("cluster")
            let base = try #require(freePortRange(), "a run of free loopback ports")
            var pids: [Int32] = []
            do {
                #expect(try await run(["up", "5"], directory: directory, basePort: base).status == 0)
                pids = try (1...5).map {
                    try Int32(
                        String(contentsOfFile: "\(directory)/node-\($0).pid", encoding: .utf8).trimmingCharacters(
                            in: .whitespacesAndNewlines)) ?? -1
                }
                let regions = try await run(["status"], directory: directory, basePort: base).lines
                #expect(
                    regions.filter { $0.contains("(eu-west)") }.count == 2
                        && regions.filter { $0.contains("(ap-south)") }.count == 1)
                try await waitUntil("a leader the members agree on", deadlineSeconds: 60) {
                    agreedLeader(try await run(["status"], directory: directory, basePort: base).lines) != nil
                }

                #expect(try await run(["kill-region", "eu-west"], directory: directory, basePort: base).status == 0)
                #expect(kill(pids[0], 0) != 0 && kill(pids[3], 0) != 0, "members 1 and 4 (eu-west) are gone")
                try await waitUntil("a leader among the three members left", deadlineSeconds: 60) {
                    let lines = try await run(["status"], directory: directory, basePort: base).lines
                    return lines.filter { $0.hasPrefix("member ") && $0.contains("unreachable") }.count == 2
                        && agreedLeader(lines) != nil
                }

                #expect(try await run(["start-region", "eu-west"], directory: directory, basePort: base).status == 0)
                #expect(try await run(["restart", "2"], directory: directory, basePort: base).status == 0)
                try await waitUntil("all five members back under one leader", deadlineSeconds: 60) {
                    let lines = try await run(["status"], directory: directory, basePort: base).lines
                    return !lines.contains { $0.hasPrefix("member ") && $0.contains("unreachable") }
                        && agreedLeader(lines) != nil
                }
                pids = try (1...5).map {
                    try Int32(
                        String(contentsOfFile: "\(directory)/node-\($0).pid", encoding: .utf8).trimmingCharacters(
                            in: .whitespacesAndNewlines)) ?? -1
                }
                #expect(
                    try await run(["kill-region", "nowhere"], directory: directory, basePort: base).status == 2,
                    "an unknown region is an error")
            } catch {
                _ = try? await run(["down"], directory: directory, basePort: base)
                throw error
            }
            #expect(try await run(["down"], directory: directory, basePort: base).status == 0)
            for pid in pids where pid > 0 { #expect(kill(pid, 0) != 0, "member process \(pid) left running") }
            #expect(!FileManager.default.fileExists(atPath: directory), "down removes the cluster's files")
        }
    }

    @Test("a pidfile naming another process (a pid reused after a reboot) is never signalled")
    func recycledPid() async throws {
        try await TemporaryDirectory.with("local-script-pid") { scratch in
            let directory = scratch.appending("cluster")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: "\(directory)/node-1.json", contents: Data("{}".utf8)))
            let stranger = try ChildProcess(executable: "/bin/sleep", arguments: ["30"])
            defer { stranger.kill() }
            try "\(stranger.process.pid)\n".write(toFile: "\(directory)/node-1.pid", atomically: true, encoding: .utf8)
            #expect(try await run(["stop", "1"], directory: directory, basePort: 1).status == 0)
            #expect(stranger.process.isRunning, "stop signalled a process that is not member 1")
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/node-1.pid"), "the stale pidfile is removed")
        }
    }
}
