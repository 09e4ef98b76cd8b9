import AsyncHTTPClient
import Foundation
import KeyCluster
import Synchronization

/// The fleet `bench scale` loads: vehicle `i` has VIN `SCALE` + i (12 digits), is owned by one of
/// `ownerCount` owner keys (a fleet is many owners; a key per vehicle would cost the generator hundreds of
/// MB for nothing the members can tell apart), and holds `keysPerVehicle` grants: its owner's and one for
/// each of the shared grantee keys (a grant is per vehicle and key, so the same phone key on many vehicles
/// is as many grants).
struct ScaleFleet: Sendable {
    static let ownerCount = 1_000

    let owners: [KeyHolder]
    let grantees: [KeyHolder]

    init(keysPerVehicle: Int) {
        precondition(keysPerVehicle >= 1, "a vehicle holds at least its owner's key")
        owners = (0..<Self.ownerCount).map { _ in KeyHolder() }
        grantees = (1..<keysPerVehicle).map { _ in KeyHolder() }
    }

    var keysPerVehicle: Int { grantees.count + 1 }

    func vin(_ index: Int) throws -> VIN {
        try VIN(validating: "SCALE" + String(format: "%012d", index))
    }

    func owner(of index: Int) -> KeyHolder { owners[index % owners.count] }

    /// Up to `count` (vehicle, key) pairs spread evenly over vehicles `0..<vehicles`, each signed by the owner
    /// or one of the grantees: what the unlock runs spread their requests over.
    func unlockTargets(vehicles: Int, count: Int) throws -> [(vin: VIN, holder: KeyHolder)] {
        let step = max(1, vehicles / max(1, count))
        return try stride(from: 0, to: vehicles, by: step).prefix(count).enumerated().map { offset, index in
            let key = offset % keysPerVehicle
            return (try vin(index), key == 0 ? owner(of: index) : grantees[key - 1])
        }
    }
}

/// Loads vehicles of a `ScaleFleet` through the public API: each vehicle registered by an operator, then its
/// grantees' grants signed by its owner — every grant a Raft entry, applied and audited as in production.
/// `clients` workers spread over the members (followers forward writes to the leader).
struct ScaleLoader: Sendable {
    let fleet: ScaleFleet
    let members: [String]
    let operatorHTTP: HTTPClient
    let ownerHTTP: HTTPClient
    let clients: Int
    let progress: Progress

    /// An operation that failed (timeout, 503 during a leader change, 429) is retried this often; a retry
    /// told the vehicle or grant already exists counts it as done (the first attempt was applied).
    static let maxAttempts = 8
    static let retryDelay: Duration = .milliseconds(200)
    static let progressInterval: Duration = .seconds(10)

    struct Outcome {
        var grants: Int
        var failed: Int
        var elapsed: Duration
        var grantsPerSecond: Double { Double(grants) / max(elapsed.seconds, 0.001) }
    }

    /// Loads vehicles `range`; `grantsBefore` are already loaded (for the progress lines).
    func load(_ range: Range<Int>, grantsBefore: Int, totalGrants: Int) async throws -> Outcome {
        let counts = Counts()
        let start = ContinuousClock.now
        let progress = self.progress
        let reporter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.progressInterval)
                let grants = counts.done.load(ordering: .relaxed)
                let rate = Double(grants) / max((ContinuousClock.now - start).seconds, 0.001)
                let remaining = Double(totalGrants - grantsBefore - grants) / max(rate, 1)
                progress.say(
                    "scale: \(grantsBefore + grants) of \(totalGrants) grants loaded, \(Int(rate))/s, about \(Int(remaining)) s to go"
                        + (counts.failed.load(ordering: .relaxed) > 0
                            ? ", \(counts.failed.load(ordering: .relaxed)) failed" : ""))
            }
        }
        defer { reporter.cancel() }
        let fleet = self.fleet
        let operators = members.map { ClusterClient(addresses: [($0, "")], preferredRegion: nil, http: operatorHTTP) }
        let phones = members.map { ClusterClient(addresses: [($0, "")], preferredRegion: nil, http: ownerHTTP) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<clients {
                let member = worker % members.count
                group.addTask {
                    for index in stride(from: range.lowerBound + worker, to: range.upperBound, by: clients) {
                        let vin = try fleet.vin(index)
                        let owner = fleet.owner(of: index)
                        guard
                            await Self.attempt(
                                alreadyDone: "vehicle-exists",
                                {
                                    _ = try await operators[member].registerVehicle(vin, owner: owner.publicKey)
                                })
                        else {
                            counts.failed.wrappingAdd(fleet.keysPerVehicle, ordering: .relaxed)
                            continue
                        }
                        counts.done.wrappingAdd(1, ordering: .relaxed)
                        for grantee in fleet.grantees {
                            let granted = await Self.attempt(alreadyDone: "key-already-granted") {
                                _ = try await phones[member].grant(
                                    grantee.publicKey, role: .driver, on: vin, signedBy: owner)
                            }
                            if granted {
                                counts.done.wrappingAdd(1, ordering: .relaxed)
                            } else {
                                counts.failed.wrappingAdd(1, ordering: .relaxed)
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Outcome(
            grants: counts.done.load(ordering: .relaxed), failed: counts.failed.load(ordering: .relaxed),
            elapsed: ContinuousClock.now - start)
    }

    private final class Counts: Sendable {
        let done = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
    }

    /// Runs `operation` until it succeeds or `maxAttempts` have failed; a refusal whose problem type ends in
    /// `alreadyDone` on a retry means an earlier attempt was applied.
    private static func attempt(alreadyDone: String, _ operation: () async throws -> Void) async -> Bool {
        for attempt in 1...maxAttempts {
            do {
                try await operation()
                return true
            } catch let refusal as MemberClient.Refusal where refusal.problem?.type.hasSuffix(alreadyDone) == true {
                return attempt > 1
            } catch {
                try? await Task.sleep(for: retryDelay)
            }
        }
        return false
    }
}
