import Foundation

extension OutageReport {
    /// The tables BENCHMARKS.md takes: the setup, one row per 5 s window, faults with recovery, revocations,
    /// and the targets marked met or not met.
    func printMarkdown() {
        let s = setup
        print(
            """

            ## Outage replay: \(s.members) members (\(s.regions.joined(separator: ", "))), phase \(s.phaseSeconds) s, freeze \(s.freezeSeconds) s

            | setup | value |
            |---|---|
            | capacity C (strict unlocks/s) | \(String(format: "%.0f", s.capacityPerSecond)) \(s.capacityMeasured ? "measured, \(OutageRun.capacityClients) closed-loop clients" : "given (--capacity-per-second)")\(s.capacityServerCPUMicrosecondsPerUnlock.map { String(format: ", %.0f µs member CPU per unlock", $0) } ?? "") |
            | user arrivals | \(String(format: "%.0f/s (%.0f %% of C)", s.userArrivalsPerSecond, s.demandPercent)), half naive (≤ \(s.naiveMaxRetries) immediate retries), half backoff (Retry-After, full jitter, ≤ \(s.successWindowSeconds) s) |
            | keys | owner + \(s.stableKeys - 1) guests that stay, \(s.revocableKeys) guests revoked during the storm |
            | bounded staleness | \(s.maxStalenessMilliseconds) ms |
            | generator | \(String(format: "%.1f", generator.cpuSeconds)) CPU s for \(generator.requests) requests\(generator.cpuMicrosecondsPerRequest.map { String(format: " (%.0f µs each)", $0) } ?? ""); \(generator.signedAhead) signed ahead, \(generator.signedInline) signed while sending |

            | window s | quorum | offered/s | goodput/s | ÷ C | ÷ demand | strict / bounded | 429 / 503 / unreachable / timeout / 403 | naive ok | backoff ok | revoke ack p50/p99/max ms | late | RSS MiB by member | member / generator CPU s | leaders seen (term:id) |
            |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
            """)
        for window in windows {
            func ok(_ population: StormRecorder.Population) -> String {
                guard let attempts = window.attempts[population.rawValue], attempts.attempts > 0 else { return "—" }
                return "\(attempts.succeeded)/\(attempts.attempts)"
            }
            let range =
                window.drain
                ? String(format: "drain %.0f–%.0f", window.startSeconds, window.endSeconds)
                : String(format: "%.0f–%.0f", window.startSeconds, window.endSeconds) + (window.full ? "" : " (short)")
            let revokes =
                window.revokeAcknowledgements.map {
                    String(format: "%.0f / %.0f / %.0f", $0.p50Milliseconds, $0.p99Milliseconds, $0.maxMilliseconds)
                } ?? "—"
            let rss = window.rssMiB.sorted { $0.key < $1.key }.map { "\($0.key): " + String(format: "%.0f", $0.value) }
                .joined(separator: ", ")
            let leaders = window.leadersFirstSeen.map { "\($0.term):\($0.leader)" }.joined(separator: " ")
            let saturated =
                window.generatorSaturated > 0 ? " (not sent, generator at its limit: \(window.generatorSaturated))" : ""
            let others =
                saturated
                + (window.otherStatuses.isEmpty
                    ? ""
                    : " (other: "
                        + window.otherStatuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(
                            separator: ", ") + ")")
            print(
                "| \(range) | \(window.quorum ? "yes" : "no") | \(Int(window.offeredPerSecond)) | \(Int(window.goodputPerSecond)) | "
                    + String(format: "%.2f | %.2f", window.goodputOfCapacity, window.goodputOfDemand)
                    + " | \(window.strictTokens) / \(window.boundedTokens) | \(window.overloaded429) / \(window.unavailable503) / \(window.unreachable) / \(window.timedOut) / \(window.denied403)\(others)"
                    + " | \(ok(.naive)) | \(ok(.backoff)) | \(revokes) | \(window.lateTokens) | \(rss.isEmpty ? "—" : rss) | "
                    + String(format: "%.1f / %.1f", window.serverCPUSeconds, window.generatorCPUSeconds)
                    + " | \(leaders.isEmpty ? "—" : leaders) |")
        }

        print("\n| fault | at s | members | first token after s | first strict token after s |\n|---|---|---|---|---|")
        for recovery in recovery {
            let members =
                faults.events.first { $0.kind == recovery.kind && $0.atSeconds == recovery.atSeconds }?.members ?? []
            print(
                "| \(recovery.kind) | " + String(format: "%.1f", recovery.atSeconds)
                    + " | \(members.map(String.init).joined(separator: ", ")) | "
                    + "\(recovery.firstTokenAfterSeconds.map { String(format: "%.1f", $0) } ?? "none") | "
                    + "\(recovery.firstStrictTokenAfterSeconds.map { String(format: "%.1f", $0) } ?? "none") |")
        }
        if faults.events.contains(where: { $0.kind == "skipped-freeze" }) {
            print("\nNo leader was seen in time to be frozen: the freeze was skipped.")
        }
        print(
            "\nRestarted region caught up: "
                + (faults.regionCatchUpSeconds.map { String(format: "%.2f s after its restart", $0) }
                    ?? "not within \(Int(StormFaults.maxCatchUpSeconds)) s"))

        print("\n| revoke at s | acknowledged after ms | tries | by |\n|---|---|---|---|")
        for revocation in revocations {
            print(
                "| " + String(format: "%.1f", revocation.scheduledAtSeconds) + " | "
                    + (revocation.acknowledgedAfterMilliseconds.map { String(format: "%.0f", $0) }
                        ?? "never (\(revocation.lastFailure ?? "?"))")
                    + " | \(revocation.tries) | \(revocation.acknowledgedBy ?? "—") |")
        }
        print(
            "\nTokens for revoked keys on requests sent after the acknowledgement but within the \(s.maxStalenessMilliseconds) ms bound (allowed): \(tokensWithinBoundAfterRevoke)"
        )
        for late in lateTokenDetails {
            print(
                "late token: key \(late.keyID), \(late.consistency) from member \(late.issuingNode), request sent "
                    + String(format: "%.0f ms", late.sentAfterAcknowledgementMilliseconds)
                    + " after the acknowledgement, token revision \(late.tokenRevision), revoke revision \(late.revokeRevision.map(String.init) ?? "unknown")"
            )
        }
        for crash in crashes {
            print(
                "crash: member \(crash.member) exited on its own (noticed at "
                    + String(format: "%.1f s)", crash.noticedAtSeconds))
        }

        print("\n| target | value | |\n|---|---|---|")
        for target in targets { print("| \(target.name) | \(target.value) | \(target.met ? "met" : "**not met**") |") }
    }
}
