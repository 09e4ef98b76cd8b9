import ArgumentParser
import AsyncHTTPClient
import Foundation
import KeyCluster

/// `keycluster bench unlock`: on a 3-member loopback cluster, at each client count, unlock decisions/s with
/// p50/p99 for **strict** reads (a ReadIndex round through the leader) and **bounded** reads
/// (`consistency=bounded`: decided from the member's fresh local state), and owner-signed **grants**/s —
/// each next to etcd 3.4 in the same run: linearizable and serializable ranges of one key, and puts of a
/// value as large as a grant's replicated command.
struct UnlockBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Strict and bounded unlock decisions/s and grants/s at several client counts, next to etcd 3.4."
    )

    @Option(help: "Comma-separated concurrent client counts.")
    var clients = "1,64,512"

    @Option(help: "Seconds each load level runs.")
    var seconds = 5

    @Flag(help: "Skip the etcd side.")
    var skipEtcd = false

    @OptionGroup var output: BenchOutput

    static let vin = "5YJ3E1EA7KF317002"
    /// The most grants/s a grant run prepares vehicles for: each vehicle takes `grantsPerVehicle` keys, so
    /// a run needs vehicles for every grant it may make; a client that runs out counts failures.
    static let maxExpectedGrantsPerSecond = 10_000
    /// Keys granted per vehicle (its owner holds one of the vehicle's `defaultMaxKeysPerVehicle`).
    static let grantsPerVehicle = DomainLimits.defaultMaxKeysPerVehicle - 1
    /// Vehicles enrolled at once while preparing a grant run.
    static let enrolmentConcurrency = 32

    func run() async throws {
        let levels = try clientLevels(clients)
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        var tables = BenchTables()
        try await withLocalCluster(regions: localRegions(members: 3), timing: .init(), admission: benchmarkAdmission) {
            cluster in
            let leader = try await cluster.waitForLeader()
            let operatorHTTP = try MemberClient.makeHTTPClient(
                caCertificatePath: cluster.layout.caCertificatePath,
                clientCertificate: try cluster.layout.issueOperator(name: "bench"))
            let http = try MemberClient.makeHTTPClient(
                caCertificatePath: cluster.layout.caCertificatePath, maxConnectionsPerMember: levels.max() ?? 1)
            var etcd: EtcdCluster?
            do {
                let enrolment = ClusterClient(
                    addresses: [(cluster.client(leader).address, "")], preferredRegion: nil, http: operatorHTTP)
                let owner = KeyHolder()
                let vin = try VIN(validating: Self.vin)
                try await cluster.waitForApplied(
                    try await enrolment.registerVehicle(vin, owner: owner.publicKey).revision)
                if !skipEtcd {
                    guard FileManager.default.isExecutableFile(atPath: EtcdCluster.executable) else {
                        throw ValidationError(
                            "etcd is not installed: apt-get install -y etcd-server (or pass --skip-etcd)")
                    }
                    etcd = try EtcdCluster(layout: cluster.layout, members: 3)
                }
                let etcdURLs = etcd?.clientURLs ?? []
                let grantValue = String(repeating: "g", count: try Self.grantCommandBytes(vin: vin, owner: owner))
                if !etcdURLs.isEmpty {
                    try await WritesBenchCommand.waitForEtcd(url: etcdURLs[0], http: http)
                    _ = await WritesBenchCommand.etcdPut(
                        http: http, url: etcdURLs[0], key: "grant", value: String(repeating: "g", count: 128))
                }
                let members = cluster.ids.map { MemberClient(address: cluster.client($0).address, http: http) }
                let grantees = (0..<Self.grantsPerVehicle).map { _ in KeyHolder().publicKey }
                for (levelIndex, level) in levels.enumerated() {
                    let duration = Duration.seconds(seconds)
                    func etcdRun(_ operation: @escaping @Sendable (String, Int, Int) async -> Bool) async -> LoadRun
                        .Result?
                    {
                        guard !etcdURLs.isEmpty else { return nil }
                        return await LoadRun(clients: level, duration: duration).run(servers: etcd?.pids ?? []) {
                            client, sequence in
                            await operation(etcdURLs[client % etcdURLs.count], client, sequence)
                        }
                    }
                    for bounded in [false, true] {
                        let prepared = try PresignedUnlocks(vin: vin, holder: owner, bounded: bounded, seconds: seconds)
                        let keycluster = await LoadRun(clients: level, duration: duration).run(servers: cluster.pids) {
                            client, _ in
                            await prepared.send(to: members[client % members.count].address, http: http)
                        }
                        if prepared.signedDuringRun > 0 {
                            output.progress.say(
                                "note: \(prepared.signedDuringRun) unlocks were signed during the run (the prepared pool ran out)"
                            )
                        }
                        let etcdResult = await etcdRun { url, _, _ in
                            await UnlockBenchCommand.etcdRange(
                                http: http, url: url, key: "grant", serializable: bounded)
                        }
                        tables.append(
                            bounded ? \.bounded : \.strict,
                            ComparisonRow(clients: level, keycluster: keycluster, etcd: etcdResult))
                        output.progress.say(
                            "clients \(level), \(bounded ? "bounded" : "strict") unlocks: keycluster \(Int(keycluster.perSecond))/s"
                                + (etcdResult.map { ", etcd \(Int($0.perSecond))/s" } ?? ""))
                    }
                    if let consistency = try? await Self.unlockConsistency(vin, as: owner, via: members[0]),
                        consistency != .bounded
                    {
                        output.progress.say(
                            "warning: a bounded unlock was decided \(consistency) (member state not fresh)")
                    }

                    let vehicles = try await Self.enrolVehicles(
                        level: levelIndex, clients: level, seconds: seconds, owner: owner, via: enrolment)
                    let grants = await LoadRun(clients: level, duration: duration).run(servers: cluster.pids) {
                        client, sequence in
                        let index = sequence - 1
                        guard index / Self.grantsPerVehicle < vehicles[client].count else { return false }
                        let target = vehicles[client][index / Self.grantsPerVehicle]
                        let phone = ClusterClient(
                            addresses: [(members[client % members.count].address, "")], preferredRegion: nil, http: http
                        )
                        return
                            (try? await phone.grant(
                                grantees[index % Self.grantsPerVehicle], role: .driver, on: target, signedBy: owner))
                            != nil
                    }
                    let etcdPuts = await etcdRun { url, client, sequence in
                        await WritesBenchCommand.etcdPut(
                            http: http, url: url, key: "g\(level)-\(client)-\(sequence)", value: grantValue)
                    }
                    tables.grants.append(ComparisonRow(clients: level, keycluster: grants, etcd: etcdPuts))
                    output.progress.say(
                        "clients \(level), grants: keycluster \(Int(grants.perSecond))/s (\(grants.failed) failed)"
                            + (etcdPuts.map { ", etcd \(Int($0.perSecond))/s" } ?? ""))
                }
                tables.grantValueBytes = grantValue.utf8.count
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
        try output.emit(["strictUnlocks": tables.strict, "boundedUnlocks": tables.bounded, "grants": tables.grants]) {
            printComparison(
                tables.strict, keyclusterColumn: "KeyCluster strict unlocks/s",
                etcdColumn: "etcd 3.4 linearizable reads/s")
            printComparison(
                tables.bounded, keyclusterColumn: "KeyCluster bounded unlocks/s",
                etcdColumn: "etcd 3.4 serializable reads/s")
            printComparison(
                tables.grants, keyclusterColumn: "KeyCluster grants/s",
                etcdColumn: "etcd 3.4 puts/s (\(tables.grantValueBytes)-byte value)")
        }
    }

    /// The rows of the three tables the command prints.
    struct BenchTables {
        var strict: [ComparisonRow] = []
        var bounded: [ComparisonRow] = []
        var grants: [ComparisonRow] = []
        var grantValueBytes = 0

        mutating func append(_ table: WritableKeyPath<BenchTables, [ComparisonRow]>, _ row: ComparisonRow) {
            self[keyPath: table].append(row)
        }
    }

    /// One signed unlock request to `member`, strict or accepting bounded staleness.
    static func unlock(_ vin: VIN, as holder: KeyHolder, via member: MemberClient, bounded: Bool) async throws
        -> SignedDocument
    {
        let path = "/v1/vehicles/\(vin.text)/commands" + (bounded ? "?consistency=bounded" : "")
        let body = Array("{\"command\":\"unlock\"}".utf8)
        let headers = try holder.signatureHeaders(
            method: "POST", path: path, vin: vin, command: "unlock", body: body, nowUnixMs: WallClock.nowUnixMs())
        return try await member.send(.POST, path, body: body, headers: headers, as: SignedDocument.self)
    }

    /// The consistency a bounded unlock was actually decided with: a check that the bounded run measured
    /// bounded decisions.
    static func unlockConsistency(_ vin: VIN, as holder: KeyHolder, via member: MemberClient) async throws
        -> ReadConsistency?
    {
        let document = try await unlock(vin, as: holder, via: member, bounded: true)
        guard let payload = Data(base64Encoded: document.payload) else { return nil }
        return try JSONDecoder().decode(UnlockToken.self, from: payload).consistency
    }

    /// Size of a grant's replicated command (JSON), the value size etcd's puts are given.
    static func grantCommandBytes(vin: VIN, owner: KeyHolder) throws -> Int {
        let command = DomainCommand.grant(
            .init(
                vin: vin,
                signer: .init(
                    keyID: owner.keyID, nonce: Nonce.random(), timestampUnixMs: WallClock.nowUnixMs(),
                    decidedAtUnixMs: WallClock.nowUnixMs()),
                publicKey: KeyHolder().publicKey, formFactor: .phone, role: .driver))
        return try JSONEncoder().encode(command).count
    }

    /// Enrols, for each of `clients`, enough vehicles (owned by `owner`) for every grant it may make in
    /// `seconds` at `maxExpectedGrantsPerSecond`; VINs are unique per load level.
    static func enrolVehicles(level: Int, clients: Int, seconds: Int, owner: KeyHolder, via enrolment: ClusterClient)
        async throws -> [[VIN]]
    {
        let grantsPerClient = (maxExpectedGrantsPerSecond * seconds + clients - 1) / clients
        let vehiclesPerClient = (grantsPerClient + grantsPerVehicle - 1) / grantsPerVehicle
        let vins = try (0..<clients).map { client in
            try (0..<vehiclesPerClient).map { offset in
                try VIN(validating: String(format: "BENCH%02d%010d", level, client * vehiclesPerClient + offset))
            }
        }
        let all = vins.flatMap { $0 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<enrolmentConcurrency {
                group.addTask {
                    for index in stride(from: worker, to: all.count, by: enrolmentConcurrency) {
                        _ = try await enrolment.registerVehicle(all[index], owner: owner.publicKey)
                    }
                }
            }
            try await group.waitForAll()
        }
        return vins
    }

    /// One etcd v3 range of `key` through its JSON gateway: linearizable, or serializable (from the member's
    /// local state, etcd's counterpart of a bounded read).
    static func etcdRange(http: HTTPClient, url: String, key: String, serializable: Bool) async -> Bool {
        var request = HTTPClientRequest(url: "\(url)/v3/kv/range")
        request.method = .POST
        request.body = .bytes(
            .init(string: "{\"key\":\"\(Data(key.utf8).base64EncodedString())\",\"serializable\":\(serializable)}"))
        guard let response = try? await http.execute(request, timeout: .seconds(5)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }
}
