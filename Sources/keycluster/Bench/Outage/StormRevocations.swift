import AsyncHTTPClient
import Foundation
import KeyCluster
import Synchronization

/// The owner revoking guest keys during the storm: each revoke at its scheduled time, signed afresh for each
/// try (a new nonce and timestamp, so a retry is never a replay), tried member after member until one
/// acknowledges it. The acknowledgement latency runs from the first try, as the owner waits from the tap.
final class StormRevocations: Sendable {
    /// How long one try waits for an answer before the owner's app tries the next member.
    static let tryTimeout = Duration.seconds(2)
    /// Pause between tries, so members that refuse at once (killed: connection refused) are not spun on.
    static let pauseBetweenTriesMilliseconds = 50
    /// A revoke not acknowledged this long after its first try is reported as never acknowledged.
    static let giveUpAfter = Duration.seconds(60)

    /// One revoke, for the report.
    struct Revocation: Encodable, Sendable {
        var keyID: String
        var scheduledAtSeconds: Double
        /// From the first try to the acknowledgement; nil: never acknowledged.
        var acknowledgedAfterMilliseconds: Double?
        var tries: Int
        /// `200`, or the refusal of a retry that showed an earlier try had committed (`404 grant-not-found`:
        /// the key has no live grant any more; `409 stale-request`: a change signed later — our own retry's
        /// predecessor — was applied).
        var acknowledgedBy: String?
        var revision: UInt64?
        /// The last failure seen, when never acknowledged.
        var lastFailure: String?
    }

    let vin: VIN
    let owner: KeyHolder
    /// Every key the storm uses, by index; `schedule` names indexes.
    let holders: [KeyHolder]
    let members: [String]
    let http: HTTPClient
    let recorder: StormRecorder
    let ledger: RevocationLedger
    /// The member that acknowledged the last revoke: the owner's app starts there, as an app remembers the
    /// member that last answered it (a dead member costs a connect timeout per try).
    let lastGood = Mutex<Int?>(nil)

    init(
        vin: VIN, owner: KeyHolder, holders: [KeyHolder], members: [String], http: HTTPClient, recorder: StormRecorder,
        ledger: RevocationLedger
    ) {
        self.vin = vin
        self.owner = owner
        self.holders = holders
        self.members = members
        self.http = http
        self.recorder = recorder
        self.ledger = ledger
    }

    /// When to revoke which key, in seconds from the storm's start: `count` keys, a pair right after each
    /// fault (where a stale member or a lost leader would show) and the rest spread evenly over the run.
    static func schedule(keys: [Int], faultSeconds: [Double], runSeconds: Double) -> [(key: Int, atSeconds: Double)] {
        let afterFaults = faultSeconds.flatMap { [$0 + 0.2, $0 + 1] }.filter { $0 < runSeconds }.prefix(keys.count)
        let spreadCount = keys.count - afterFaults.count
        let spread = (0..<spreadCount).map { runSeconds * (Double($0) + 0.5) / Double(spreadCount) }
        return zip(keys, (Array(afterFaults) + spread).sorted()).map { ($0, $1) }
    }

    /// Runs every scheduled revoke (each in its own task, so a slow one delays no other) and returns them.
    func run(_ schedule: [(key: Int, atSeconds: Double)]) async -> [Revocation] {
        await withTaskGroup(of: Revocation.self) { group in
            for (key, atSeconds) in schedule {
                group.addTask {
                    try? await Task.sleep(
                        until: self.recorder.clock.start + .milliseconds(Int(atSeconds * 1_000)), clock: .continuous)
                    return await self.revoke(key: key, scheduledAtSeconds: atSeconds)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }.sorted {
                $0.scheduledAtSeconds < $1.scheduledAtSeconds
            }
        }
    }

    func revoke(key: Int, scheduledAtSeconds: Double) async -> Revocation {
        let target = holders[key].keyID
        let path = "/v1/vehicles/\(vin.text)/keys/\(target.text)/revoke"
        var revocation = Revocation(keyID: target.text, scheduledAtSeconds: scheduledAtSeconds, tries: 0)
        let firstTry = ContinuousClock.now
        ledger.started(key: key, at: firstTry)
        var member = lastGood.withLock { $0 } ?? Int.random(in: 0..<members.count)
        while ContinuousClock.now - firstTry < Self.giveUpAfter {
            revocation.tries += 1
            guard
                let headers = try? owner.signatureHeaders(
                    method: "POST", path: path, vin: vin, command: "revoke", body: [], nowUnixMs: WallClock.nowUnixMs())
            else {
                revocation.lastFailure = "signing failed"
                break
            }
            let outcome = await StormRequest.post(
                to: members[member], path: path, headers: headers, body: [], timeout: Self.tryTimeout, http: http)
            let now = ContinuousClock.now
            var confirmedBy: String?
            var revision: UInt64?
            switch outcome {
            case .answered(200, _, let body?):
                revision = try? JSONDecoder().decode(KeyChange.self, from: Data(body.readableBytesView)).revision
                confirmedBy = "200"
            case .answered(404, _, _) where revocation.tries > 1: confirmedBy = "404 grant-not-found"
            case .answered(409, _, _) where revocation.tries > 1: confirmedBy = "409 stale-request"
            case .answered(let status, _, _): revocation.lastFailure = "\(status)"
            case .unreachable: revocation.lastFailure = "unreachable"
            case .timedOut: revocation.lastFailure = "no answer in \(Self.tryTimeout)"
            }
            if let confirmedBy {
                lastGood.withLock { $0 = member }
                ledger.acknowledged(key: key, at: now, revision: revision)
                let latency = (now - firstTry).seconds * 1_000
                recorder.revokeAcknowledged(at: now, afterMilliseconds: latency)
                revocation.acknowledgedAfterMilliseconds = latency
                revocation.acknowledgedBy = confirmedBy
                revocation.revision = revision
                revocation.lastFailure = nil
                return revocation
            }
            member = (member + 1) % members.count
            try? await Task.sleep(for: .milliseconds(Self.pauseBetweenTriesMilliseconds))
        }
        return revocation
    }
}
