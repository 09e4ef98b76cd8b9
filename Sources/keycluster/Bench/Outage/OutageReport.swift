import Foundation

/// What `keycluster bench outage` reports (the `--json` document; the Markdown tables print the same).
struct OutageReport: Encodable {
    /// Issue 17 §A.5's targets.
    static let minAttemptSuccessFraction = 0.999
    static let minGoodputFraction = 0.8
    static let maxRevokeP99Milliseconds = 1_000.0

    struct Setup: Encodable {
        var members: Int
        var regions: [String]
        var phaseSeconds: Int
        var freezeSeconds: Int
        var demandPercent: Double
        /// C: strict unlocks/s decided by the cluster, closed loop, before the storm (or `--capacity-per-second`).
        var capacityPerSecond: Double
        var capacityMeasured: Bool
        var capacityServerCPUMicrosecondsPerUnlock: Double?
        /// User attempts started per second (demand × C), retries not included.
        var userArrivalsPerSecond: Double
        var maxStalenessMilliseconds: Int
        var stableKeys: Int
        var revocableKeys: Int
        var successWindowSeconds: Int
        var naiveMaxRetries: Int
    }

    struct Latency: Encodable {
        var count: Int
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var maxMilliseconds: Double

        init?(_ samples: [Double]) {
            guard !samples.isEmpty else { return nil }
            let sorted = samples.sorted()
            func at(_ fraction: Double) -> Double {
                sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
            }
            count = sorted.count
            p50Milliseconds = at(0.5)
            p99Milliseconds = at(0.99)
            maxMilliseconds = sorted[sorted.count - 1]
        }
    }

    struct Attempts: Encodable {
        var attempts: Int
        var succeeded: Int
        var fraction: Double? { attempts > 0 ? Double(succeeded) / Double(attempts) : nil }

        enum CodingKeys: String, CodingKey { case attempts, succeeded, fraction }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(attempts, forKey: .attempts)
            try container.encode(succeeded, forKey: .succeeded)
            try container.encodeIfPresent(fraction, forKey: .fraction)
        }
    }

    struct Window: Encodable {
        var startSeconds: Double
        var endSeconds: Double
        /// After the storm's end: attempts and revokes still under way; not judged against the targets.
        var drain: Bool
        /// A majority of members neither killed nor frozen for the whole window.
        var quorum: Bool
        /// Requests sent per second, retries included.
        var offeredPerSecond: Double
        /// Tokens per second.
        var goodputPerSecond: Double
        var goodputOfCapacity: Double
        /// User attempts started per second with keys not being revoked: the demand a token can answer.
        var eligibleArrivalsPerSecond: Double
        /// Goodput ÷ eligible arrivals/s: the share of that demand served (about 1 when all is well; window
        /// edges and retries that cross them move it a little).
        var goodputOfDemand: Double
        /// A whole report window (the run's last one may be shorter; short ones are too noisy to judge).
        var full: Bool
        var strictTokens: Int
        var boundedTokens: Int
        var overloaded429: Int
        var unavailable503: Int
        var unreachable: Int
        var timedOut: Int
        /// Requests not sent: the generator's own limit per member was reached.
        var generatorSaturated: Int
        var denied403: Int
        var otherStatuses: [String: Int]
        /// User attempts started in the window (keys not being revoked), by population.
        var attempts: [String: Attempts]
        var attemptsWithRevokedKeys: Int
        var revokeAcknowledgements: Latency?
        var lateTokens: Int
        /// Resident memory of each running member at the window's end, MiB.
        var rssMiB: [String: Double]
        /// CPU of the members running at both ends of the window, and of the generator.
        var serverCPUSeconds: Double
        var generatorCPUSeconds: Double
        var leadersFirstSeen: [ClusterWatch.LeaderSeen]
    }

    struct FaultRecovery: Encodable {
        var kind: String
        var atSeconds: Double
        /// From the fault to the first token of any consistency, and to the first strict one.
        var firstTokenAfterSeconds: Double?
        var firstStrictTokenAfterSeconds: Double?
    }

    struct Generator: Encodable {
        var cpuSeconds: Double
        var requests: Int
        var cpuMicrosecondsPerRequest: Double?
        var signedAhead: Int
        /// Requests signed while being sent because the prepared pool was empty.
        var signedInline: Int
    }

    struct Target: Encodable {
        var name: String
        var value: String
        var met: Bool
    }

    var setup: Setup
    var windows: [Window]
    var attempts: [String: Attempts]
    var revocations: [StormRevocations.Revocation]
    var revokeAcknowledgement: Latency?
    /// The same, counted from when a quorum of members was up (from the first try when one was).
    var revokeAcknowledgementOnceQuorate: Latency?
    var revokesAcknowledged: Int
    var lateTokens: Int
    var lateTokenDetails: [RevocationLedger.LateToken]
    var tokensWithinBoundAfterRevoke: Int
    var crashes: [ClusterWatch.Crash]
    var faults: StormFaults.Report
    var recovery: [FaultRecovery]
    var leaders: [ClusterWatch.LeaderSeen]
    var generator: Generator
    var targets: [Target] = []

    /// Judges the targets. Goodput cannot reach 80 % of C when users ask for 50 % of C (one token per
    /// attempt), so the goodput target is judged against what users asked with keys a token can answer, where
    /// C could serve it: goodput ≥ 80 % of min(C, eligible arrivals/s) in every whole in-run window with a
    /// quorum (both ratios are reported).
    mutating func judge() {
        let totals = attempts.values.reduce(Attempts(attempts: 0, succeeded: 0)) {
            Attempts(attempts: $0.attempts + $1.attempts, succeeded: $0.succeeded + $1.succeeded)
        }
        let fraction = totals.fraction ?? 0
        targets.append(
            Target(
                name: "user attempts with a token within \(setup.successWindowSeconds) s ≥ 99.9 %",
                value: String(format: "%.2f %% of %d", fraction * 100, totals.attempts),
                met: totals.attempts > 0 && fraction >= Self.minAttemptSuccessFraction))
        let judged = windows.filter { !$0.drain && $0.quorum && $0.full }
        func servedShare(_ window: Window) -> Double {
            window.goodputPerSecond / max(min(setup.capacityPerSecond, window.eligibleArrivalsPerSecond), .ulpOfOne)
        }
        let worst = judged.min { servedShare($0) < servedShare($1) }
        targets.append(
            Target(
                name: "goodput ≥ 80 % of min(C, demand) in every whole window with a quorum",
                value: worst.map {
                    String(
                        format: "worst %.0f %% (%.0f of %.0f/s at %.0f s; %.0f %% of C)", servedShare($0) * 100,
                        $0.goodputPerSecond,
                        $0.eligibleArrivalsPerSecond, $0.startSeconds, $0.goodputOfCapacity * 100)
                } ?? "no whole window with a quorum",
                met: !judged.isEmpty && judged.allSatisfy { servedShare($0) >= Self.minGoodputFraction }))
        let p99 = revokeAcknowledgementOnceQuorate?.p99Milliseconds
        targets.append(
            Target(
                name:
                    "revoke acknowledgement p99 ≤ 1 s (from the first try, or from a quorum's return when none was up)",
                value: (p99.map { String(format: "%.0f ms", $0) } ?? "none acknowledged")
                    + (revokeAcknowledgement.map { String(format: " (%.0f ms from the first try)", $0.p99Milliseconds) }
                        ?? "")
                    + ", \(revokesAcknowledged)/\(revocations.count) acknowledged",
                met: (p99 ?? .infinity) <= Self.maxRevokeP99Milliseconds && revokesAcknowledged == revocations.count))
        targets.append(Target(name: "late tokens for revoked keys = 0", value: "\(lateTokens)", met: lateTokens == 0))
        targets.append(Target(name: "crashes = 0", value: "\(crashes.count)", met: crashes.isEmpty))
    }
}
