import ArgumentParser
import AsyncHTTPClient
import Foundation
import KeyCluster

/// `keycluster bench unlock`: unlock decisions/s and p50/p99 latency on a 3-member loopback cluster — each
/// a signed request, a strict (ReadIndex) read point, a decision and a signed token — next to etcd 3.4's
/// linearizable range reads of one key in the same run.
struct UnlockBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Strict unlock decisions/s and latency at several client counts, next to etcd 3.4 linearizable reads."
    )

    @Option(help: "Comma-separated concurrent client counts.")
    var clients = "1,64,512"

    @Option(help: "Seconds each load level runs.")
    var seconds = 5

    @Flag(help: "Skip the etcd side.")
    var skipEtcd = false

    static let vin = "5YJ3E1EA7KF317002"

    func run() async throws {
        let levels = try clientLevels(clients)
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        var rows: [ComparisonRow] = []
        try await withLocalCluster(regions: localRegions(members: 3), timing: .init()) { cluster in
            let leader = try await cluster.waitForLeader()
            let operatorHTTP = try MemberClient.makeHTTPClient(
                caCertificatePath: cluster.layout.caCertificatePath, clientCertificate: try cluster.layout.issueOperator(name: "bench"))
            let http = try MemberClient.makeHTTPClient(caCertificatePath: cluster.layout.caCertificatePath, maxConnectionsPerMember: levels.max() ?? 1)
            var etcd: EtcdCluster?
            do {
                let vin = try VIN(validating: Self.vin)
                let owner = KeyHolder()
                let enrolled = try await MemberClient(address: cluster.client(leader).address, http: operatorHTTP)
                    .post("/v1/vehicles", body: Array(try JSONSerialization.data(withJSONObject: [
                        "vin": vin.text, "ownerPublicKey": Data(owner.publicKey.x963).base64EncodedString(), "ownerFormFactor": "phone",
                    ])), as: WriteResponse.self).revision
                try await cluster.waitForApplied(enrolled)
                if !skipEtcd {
                    etcd = try EtcdCluster(layout: cluster.layout, members: 3)
                }
                let etcdURLs = etcd?.clientURLs ?? []
                if !etcdURLs.isEmpty {
                    try await WritesBenchCommand.waitForEtcd(url: etcdURLs[0], http: http)
                    _ = await WritesBenchCommand.etcdPut(http: http, url: etcdURLs[0], key: "grant", value: String(repeating: "g", count: 128))
                }
                let members = cluster.ids.map { MemberClient(address: cluster.client($0).address, http: http) }
                for level in levels {
                    let keycluster = await LoadRun(clients: level, duration: .seconds(seconds)).run { client, _ in
                        let path = "/v1/vehicles/\(vin.text)/commands"
                        let body = Array("{\"command\":\"unlock\"}".utf8)
                        guard let headers = try? owner.signatureHeaders(
                            method: "POST", path: path, vin: vin, command: "unlock", body: body, nowUnixMs: WallClock.nowUnixMs())
                        else { return false }
                        return (try? await members[client % members.count].send(.POST, path, body: body, headers: headers, as: SignedDocument.self)) != nil
                    }
                    var etcdResult: LoadRun.Result?
                    if !etcdURLs.isEmpty {
                        etcdResult = await LoadRun(clients: level, duration: .seconds(seconds)).run { client, _ in
                            await Self.etcdRange(http: http, url: etcdURLs[client % etcdURLs.count], key: "grant")
                        }
                    }
                    print("clients \(level): keycluster \(Int(keycluster.perSecond))/s" + (etcdResult.map { ", etcd \(Int($0.perSecond))/s" } ?? ""))
                    rows.append(ComparisonRow(clients: level, keycluster: keycluster, etcd: etcdResult))
                }
            } catch {
                etcd?.stop()
                try? await http.shutdown()
                try? await operatorHTTP.shutdown()
                throw error
            }
            etcd?.stop()
            try await http.shutdown()
            try await operatorHTTP.shutdown()
        }
        printComparison(rows, keyclusterColumn: "KeyCluster strict unlocks/s", etcdColumn: "etcd 3.4 linearizable reads/s")
    }

    /// One linearizable etcd v3 range of `key` through its JSON gateway.
    static func etcdRange(http: HTTPClient, url: String, key: String) async -> Bool {
        var request = HTTPClientRequest(url: "\(url)/v3/kv/range")
        request.method = .POST
        request.body = .bytes(.init(string: "{\"key\":\"\(Data(key.utf8).base64EncodedString())\"}"))
        guard let response = try? await http.execute(request, timeout: .seconds(5)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }
}
