import Foundation
import KeyCluster
import KeyClusterTooling
import Synchronization
import TestSupport
import Testing

/// `keycluster serve --log-format`: JSON lines a log shipper can parse, and a clear refusal of other formats.
@Suite("serve --log-format", .serialized)
struct LogFormatOptionTests {
    @Test(
        "--log-format json: every line of a one-member cluster's log is a JSON object with ts (ms, UTC), level, msg and node"
    )
    func jsonLines() async throws {
        let directory = try TemporaryDirectory("log-format")
        defer { directory.remove() }
        let ports = try FreePorts.allocate(2)
        let layout = LocalClusterLayout(directory: directory.path)
        _ = try layout.create(members: [.init(id: 1, region: "local", peerPort: ports[0], clientPort: ports[1])])
        let member = try ChildProcess(
            executable: try KeyClusterBinary.path(),
            arguments: ["serve", "--config", layout.configurationPath(of: 1), "--log-format", "json"])
        defer { member.kill() }
        // Read on a task of its own, so the wait below keeps its deadline even if the member falls silent.
        let collected = Mutex<[String]>([])
        let reader = Task { for await line in member.outputLines { collected.withLock { $0.append(line) } } }
        defer { reader.cancel() }
        try await waitUntil("the member logged its election as JSON") {
            collected.withLock { $0.contains { $0.contains(#""msg":"became leader""#) } }
        }
        // The banner `serve` prints on standard output is not a log line.
        let objects = try collected.withLock { $0 }.filter { $0.hasPrefix("{") }.map { line in
            try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
        #expect(objects.contains { $0["msg"] as? String == "became leader" })
        for object in objects {
            let timestamp = object["ts"] as? String ?? ""
            #expect(timestamp.firstMatch(of: #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/#) != nil, "ts \(timestamp)")
            #expect(object["level"] is String && object["msg"] is String)
            #expect(object["node"] as? String == "1", "node \(object["node"] ?? "none") in \(object)")
        }
    }

    @Test("an unknown --log-format is refused with the formats there are")
    func unknownFormatRefused() async throws {
        let child = try ChildProcess(
            executable: try KeyClusterBinary.path(), arguments: ["serve", "--log-format", "xml"])
        var output: [String] = []
        for await line in child.outputLines { output.append(line) }
        #expect(child.waitUntilExit().status != 0)
        #expect(output.joined(separator: "\n").contains("unknown log format xml (use text or json)"))
    }
}
