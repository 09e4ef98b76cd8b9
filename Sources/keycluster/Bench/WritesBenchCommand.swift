import ArgumentParser
import AsyncHTTPClient
import Foundation
import KeyCluster
import NIOCore

/// `keycluster bench writes`: durable replicated writes/s and latency on a 3-member loopback cluster, and
/// the same load against etcd 3.4 (3 members, TLS, same machine, same run), with ratios.
///
/// Both receive a 128-byte value per write over HTTPS from the same client library, spread over all members
/// (followers forward to the leader in both systems); a write counts when the system acknowledges it.
struct WritesBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "writes",
        abstract: "Replicated durable writes/s and p50/p99 latency at several client counts, next to etcd 3.4."
    )

    @Option(help: "Comma-separated concurrent client counts.")
    var clients = "1,64,512"

    @Option(help: "Seconds each load level runs.")
    var seconds = 5

    @Flag(help: "Skip the etcd side (e.g. where etcd-server cannot be installed).")
    var skipEtcd = false

    @OptionGroup var output: BenchOutput

    static let valueBytes = 128

    func run() async throws {
        let levels = try clientLevels(clients)
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        let duration = Duration.seconds(seconds)
        let value = String(repeating: "v", count: Self.valueBytes)
        let timing = NodeConfiguration.Timing()
        var rows: [ComparisonRow] = []
        try await withLocalCluster(regions: localRegions(members: 3), timing: timing, admission: benchmarkAdmission) {
            cluster in
            _ = try await cluster.waitForLeader()
            // The debug routes this bench writes through need an operator certificate.
            let http = try MemberClient.makeHTTPClient(
                caCertificatePath: cluster.layout.caCertificatePath,
                clientCertificate: try cluster.layout.issueOperator(name: "bench"),
                maxConnectionsPerMember: levels.max() ?? 1)
            var etcd: EtcdCluster?
            do {
                if !skipEtcd {
                    guard FileManager.default.isExecutableFile(atPath: EtcdCluster.executable) else {
                        throw ValidationError(
                            "etcd is not installed: apt-get install -y etcd-server (or pass --skip-etcd)")
                    }
                    etcd = try EtcdCluster(layout: cluster.layout, members: 3)
                }
                let etcdURLs = etcd?.clientURLs ?? []
                if !etcdURLs.isEmpty { try await Self.waitForEtcd(url: etcdURLs[0], http: http) }
                let members = cluster.ids.map { id in MemberClient(address: cluster.client(id).address, http: http) }
                for level in levels {
                    let keycluster = await LoadRun(clients: level, duration: duration).run(servers: cluster.pids) {
                        client, sequence in
                        (try? await members[client % members.count].put(
                            "/debug/kv/w\(level)-\(client)-\(sequence)", body: Array(value.utf8), as: WriteResponse.self
                        )) != nil
                    }
                    var etcdResult: LoadRun.Result?
                    if !etcdURLs.isEmpty {
                        etcdResult = await LoadRun(clients: level, duration: duration).run(servers: etcd?.pids ?? []) {
                            client, sequence in
                            await Self.etcdPut(
                                http: http, url: etcdURLs[client % etcdURLs.count],
                                key: "w\(level)-\(client)-\(sequence)", value: value)
                        }
                    }
                    output.progress.say(
                        "clients \(level): keycluster \(Int(keycluster.perSecond))/s"
                            + (etcdResult.map { ", etcd \(Int($0.perSecond))/s" } ?? ""))
                    rows.append(ComparisonRow(clients: level, keycluster: keycluster, etcd: etcdResult))
                }
            } catch {
                etcd?.stop()
                try? await http.shutdown()
                throw error
            }
            etcd?.stop()
            try await http.shutdown()
        }
        try output.emit(["writes": rows]) {
            printComparison(rows, keyclusterColumn: "KeyCluster writes/s", etcdColumn: "etcd 3.4 puts/s")
        }
    }

    /// One etcd v3 put through its JSON gateway (`POST /v3/kv/put`, base64 key and value).
    static func etcdPut(http: HTTPClient, url: String, key: String, value: String) async -> Bool {
        var request = HTTPClientRequest(url: "\(url)/v3/kv/put")
        request.method = .POST
        let body =
            "{\"key\":\"\(Data(key.utf8).base64EncodedString())\",\"value\":\"\(Data(value.utf8).base64EncodedString())\"}"
        request.body = .bytes(ByteBuffer(string: body))
        guard let response = try? await http.execute(request, timeout: .seconds(5)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }

    /// Time etcd gets to form its cluster before the benchmark gives up.
    static let etcdStartSeconds = 30

    static func waitForEtcd(url: String, http: HTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(etcdStartSeconds)
        while ContinuousClock.now < deadline {
            if await etcdPut(http: http, url: url, key: "ready", value: "1") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("etcd did not become ready within \(etcdStartSeconds) s")
    }
}
