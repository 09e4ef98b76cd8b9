import Foundation
import KeyCluster
import KeyClusterTooling
import Synchronization
import TestSupport
import X509

/// The steady load of the partition suite: per vehicle, an owner that grants a new driver key, lets it be
/// used, and revokes it, again and again; and unlock clients that use the recent keys (revoked ones too)
/// through the failover `ClusterClient`. Every operation goes into the history.
final class PartitionWorkload: Sendable {
    let cluster: NamespaceCluster
    let history: PartitionHistory
    let vehicles: [(vin: VIN, owner: KeyHolder)]
    let verifier: UnlockTokenVerifier
    /// Keys unlock clients pick from: each vehicle's most recent ones.
    private let recentKeys = Mutex<[(vin: VIN, key: KeyHolder)]>([])
    private let stopped = Atomic<Bool>(false)

    /// Recent keys kept per vehicle for the unlock clients.
    static let maxRecentKeysPerVehicle = 3
    /// Tries of one write before the writer gives up on it (each try is recorded).
    static let maxWriteAttempts = 4
    /// Pause of an unlock client between its calls.
    static let unlockPauseMilliseconds = 40...120
    /// How long a key stays granted before its owner revokes it.
    static let grantLifetimeMilliseconds = 300...900

    init(cluster: NamespaceCluster, history: PartitionHistory, vehicles: [(VIN, KeyHolder)]) throws {
        self.cluster = cluster
        self.history = history
        self.vehicles = vehicles.map { (vin: $0.0, owner: $0.1) }
        verifier = try UnlockTokenVerifier(caBundleFile: cluster.caCertificatePath)
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    /// Runs `unlockClients` unlock loops and one owner loop per vehicle until `stop()`.
    func run(unlockClients: Int, seed: UInt64) async {
        await withTaskGroup(of: Void.self) { group in
            for (index, vehicle) in vehicles.enumerated() {
                group.addTask {
                    await self.ownerLoop(
                        vehicle, home: self.cluster.ids[index % self.cluster.ids.count], seed: seed &+ UInt64(index))
                }
            }
            for client in 0..<unlockClients {
                group.addTask { await self.unlockLoop(client: client, seed: seed &+ 1_000 &+ UInt64(client)) }
            }
        }
    }

    private func ownerLoop(_ vehicle: (vin: VIN, owner: KeyHolder), home: UInt64, seed: UInt64) async {
        var random = SeededGenerator(seed: seed)
        // The owner's own region first, then the others: what a phone app near its region would do.
        let order = [home] + cluster.ids.filter { $0 != home }
        while !isStopped {
            let driver = KeyHolder()
            let body = Array(
                (try? JSONSerialization.data(withJSONObject: [
                    "publicKey": Data(driver.publicKey.x963).base64EncodedString(), "formFactor": "phone",
                    "role": "driver",
                ])) ?? Data())
            await write(
                .grant, key: driver.keyID.text, vin: vehicle.vin, signer: vehicle.owner, order: order, random: &random,
                path: "/v1/vehicles/\(vehicle.vin.text)/keys", command: "grant", body: body)
            recentKeys.withLock { keys in
                keys.append((vehicle.vin, driver))
                let mine = keys.filter { $0.vin == vehicle.vin }
                if mine.count > Self.maxRecentKeysPerVehicle, let oldest = mine.first {
                    keys.removeAll { $0.key.keyID == oldest.key.keyID }
                }
            }
            try? await Task.sleep(for: .milliseconds(Int.random(in: Self.grantLifetimeMilliseconds, using: &random)))
            await write(
                .revoke, key: driver.keyID.text, vin: vehicle.vin, signer: vehicle.owner, order: order, random: &random,
                path: "/v1/vehicles/\(vehicle.vin.text)/keys/\(driver.keyID.text)/revoke", command: "revoke", body: [])
        }
    }

    /// One write, tried member after member until a member answers; every try is its own history event,
    /// so a try that timed out (and may have applied) is never confused with the answer of the next.
    private func write(
        _ operation: PartitionEvent.Operation, key: String, vin: VIN, signer: KeyHolder, order: [UInt64],
        random: inout SeededGenerator, path: String, command: String, body: [UInt8]
    ) async {
        for attempt in 0..<Self.maxWriteAttempts {
            if attempt > 0 {
                try? await Task.sleep(for: .milliseconds(Int.random(in: 0...(50 << attempt), using: &random)))
            }
            let member = order[attempt % order.count]
            let invokedAt = history.now
            var event = PartitionEvent(
                key: key, operation: operation, invokedAt: invokedAt, returnedAt: nil, outcome: .unknown(""),
                member: member)
            do {
                let headers = try signer.signatureHeaders(
                    method: "POST", path: path, vin: vin, command: command, body: body, nowUnixMs: WallClock.nowUnixMs()
                )
                let revision = try await cluster.client(member).send(
                    .POST, path, body: body, headers: headers, as: WriteResponse.self
                ).revision
                event.returnedAt = history.now
                event.outcome = .acknowledged(revision: revision)
            } catch MemberClient.CallError.problem(let status, let type, _, _, _)
                where (400..<500).contains(status) && status != 429
            {
                event.returnedAt = history.now
                event.outcome = .refused(type)
            } catch {
                event.outcome = .unknown("\(error)")
            }
            history.record(event)
            if event.returnedAt != nil { return }
        }
    }

    private func unlockLoop(client: Int, seed: UInt64) async {
        var random = SeededGenerator(seed: seed)
        let regions = Array(Set(cluster.members.map(\.region))).sorted()
        let failover = ClusterClient(
            addresses: cluster.members.map { ($0.clientAddress, $0.region) },
            preferredRegion: regions[client % regions.count], http: cluster.http)
        while !isStopped {
            try? await Task.sleep(for: .milliseconds(Int.random(in: Self.unlockPauseMilliseconds, using: &random)))
            guard let (vin, key) = recentKeys.withLock({ $0.randomElement(using: &random) }) else { continue }
            var event = PartitionEvent(
                key: key.keyID.text, operation: .unlock, invokedAt: history.now, returnedAt: nil, outcome: .unknown(""))
            do {
                let document = try await failover.command(.unlock, on: vin, as: key)
                let token = try verifier.verifyUnlockToken(
                    document, vin: vin, command: .unlock, nowUnixMs: WallClock.nowUnixMs())
                event.outcome = .authorized(strict: token.consistency == .strict)
                event.member = token.issuingNode
            } catch {
                event.outcome = Self.unlockOutcome(of: error)
            }
            if case .unknown = event.outcome {} else { event.returnedAt = history.now }
            history.record(event)
        }
    }

    /// What an unlock that got no token answered: a refusal decided at a read point (its problem document
    /// says strict or bounded), another 4xx, or nothing usable.
    static func unlockOutcome(of error: any Error) -> PartitionEvent.Outcome {
        switch error {
        case MemberClient.CallError.problem(403, _, _, _, let consistency?):
            .denied(strict: consistency == ReadConsistency.strict.rawValue)
        case MemberClient.CallError.problem(let status, let type, _, _, _)
        where (400..<500).contains(status) && status != 429:
            .refused(type)
        default:
            .unknown("\(error)")
        }
    }

    /// Asks `member` alone, for `duration`, for strict and bounded unlocks with the recent keys (revoked ones
    /// too): the member being repaired is probed *as it returns*, not only the members a failover client
    /// prefers. Every answer goes into the history.
    func probe(_ member: UInt64, for duration: Duration, seed: UInt64) async {
        var random = SeededGenerator(seed: seed)
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(Int.random(in: Self.probePauseMilliseconds, using: &random)))
            guard let (vin, key) = recentKeys.withLock({ $0.randomElement(using: &random) }) else { continue }
            let bounded = Bool.random(using: &random)
            let path = "/v1/vehicles/\(vin.text)/commands" + (bounded ? "?consistency=bounded" : "")
            let body = Array("{\"command\":\"unlock\"}".utf8)
            var event = PartitionEvent(
                key: key.keyID.text, operation: .unlock, invokedAt: history.now, returnedAt: nil, outcome: .unknown(""),
                member: member)
            event.isProbe = true
            do {
                let headers = try key.signatureHeaders(
                    method: "POST", path: path, vin: vin, command: "unlock", body: body,
                    nowUnixMs: WallClock.nowUnixMs())
                let document = try await cluster.client(member).send(
                    .POST, path, body: body, headers: headers, as: SignedDocument.self)
                let token = try verifier.verifyUnlockToken(
                    document, vin: vin, command: .unlock, nowUnixMs: WallClock.nowUnixMs())
                event.outcome = .authorized(strict: token.consistency == .strict)
            } catch {
                event.outcome = Self.unlockOutcome(of: error)
            }
            if case .unknown = event.outcome {} else { event.returnedAt = history.now }
            history.record(event)
        }
    }

    /// Pause of the prober between its calls.
    static let probePauseMilliseconds = 10...40
}
