import Foundation

extension OutageReport {
    /// The report from what the storm's parts recorded.
    static func assemble(
        setup: Setup, recorder: StormRecorder, watch: ClusterWatch, samples: [WindowSampler.Sample],
        ledger: RevocationLedger,
        revocations: [StormRevocations.Revocation], faults: StormFaults.Report,
        generator: (cpuSeconds: Double, signedAhead: Int, signedInline: Int)
    ) -> OutageReport {
        let clock = recorder.clock
        let counted = recorder.snapshot
        let leaders = watch.leadersSeen
        let windows = counted.enumerated().map { index, counts in
            let bounds = clock.bounds(of: index, now: samples.last?.at ?? .now)
            let seconds = max(bounds.end - bounds.start, 0.001)
            let tokens = counts.strictTokens + counts.boundedTokens
            let (first, last) = (samples[safe: index], samples[safe: index + 1])
            let serverCPU = watch.cluster.ids.compactMap { id -> Double? in
                guard let from = first?.members[id]?.cpuSeconds, let to = last?.members[id]?.cpuSeconds, to >= from
                else { return nil }
                return to - from
            }.reduce(0, +)
            let eligible = Double(counts.attempts.values.reduce(0, +)) / seconds
            var rss: [String: Double] = [:]
            for (id, sample) in last?.members ?? [:] {
                if let kib = sample.rssKiB { rss["\(id)"] = Double(kib) / 1_024 }
            }
            return Window(
                startSeconds: bounds.start, endSeconds: bounds.end, drain: index == clock.windowCount,
                quorum: watch.quorumThroughout(from: bounds.start, to: bounds.end),
                offeredPerSecond: Double(counts.requests) / seconds,
                goodputPerSecond: Double(tokens) / seconds,
                goodputOfCapacity: Double(tokens) / seconds / setup.capacityPerSecond,
                eligibleArrivalsPerSecond: eligible,
                goodputOfDemand: eligible > 0 ? Double(tokens) / seconds / eligible : 0,
                full: bounds.end - bounds.start >= Double(StormClock.windowSeconds) - 0.001,
                strictTokens: counts.strictTokens,
                boundedTokens: counts.boundedTokens, overloaded429: counts.overloaded,
                unavailable503: counts.unavailable,
                unreachable: counts.unreachable, timedOut: counts.timedOut,
                generatorSaturated: counts.generatorSaturated, denied403: counts.denied,
                otherStatuses: Dictionary(uniqueKeysWithValues: counts.otherStatuses.map { ("\($0.key)", $0.value) }),
                attempts: Dictionary(
                    uniqueKeysWithValues: StormRecorder.Population.allCases.map { population in
                        (
                            population.rawValue,
                            Attempts(
                                attempts: counts.attempts[population] ?? 0, succeeded: counts.succeeded[population] ?? 0
                            )
                        )
                    }),
                attemptsWithRevokedKeys: counts.attemptsWithRevokedKeys,
                revokeAcknowledgements: Latency(counts.revokeAcknowledgementMilliseconds),
                lateTokens: counts.lateTokens, rssMiB: rss, serverCPUSeconds: serverCPU,
                generatorCPUSeconds: (last?.generatorCPUSeconds ?? 0) - (first?.generatorCPUSeconds ?? 0),
                leadersFirstSeen: leaders.filter {
                    $0.firstSeenAtSeconds >= bounds.start && $0.firstSeenAtSeconds < bounds.end
                })
        }
        let attempts = Dictionary(
            uniqueKeysWithValues: StormRecorder.Population.allCases.map { population in
                (
                    population.rawValue,
                    Attempts(
                        attempts: counted.reduce(0) { $0 + ($1.attempts[population] ?? 0) },
                        succeeded: counted.reduce(0) { $0 + ($1.succeeded[population] ?? 0) })
                )
            })
        let acknowledged = revocations.compactMap(\.acknowledgedAfterMilliseconds)
        // The bound holds from when a leader can exist: a revoke sent while no quorum is up (a
        // region down and the next leader frozen) waits for one, and that wait is the outage's, not the lane's.
        let acknowledgedOnceQuorate = revocations.compactMap { revocation -> Double? in
            guard let after = revocation.acknowledgedAfterMilliseconds,
                let quorate = watch.quorumAvailable(atOrAfter: revocation.scheduledAtSeconds)
            else { return nil }
            return max(0, after - (quorate - revocation.scheduledAtSeconds) * 1_000)
        }
        let requests = counted.reduce(0) { $0 + $1.requests }
        return OutageReport(
            setup: setup, windows: windows, attempts: attempts, revocations: revocations,
            revokeAcknowledgement: Latency(acknowledged),
            revokeAcknowledgementOnceQuorate: Latency(acknowledgedOnceQuorate),
            revokesAcknowledged: acknowledged.count, lateTokens: counted.reduce(0) { $0 + $1.lateTokens },
            lateTokenDetails: ledger.lateTokenDetails,
            tokensWithinBoundAfterRevoke: ledger.tokensWithinBoundAfterRevoke, crashes: watch.crashes, faults: faults,
            recovery: faults.events.filter { $0.kind != "skipped-freeze" }.map { event in
                FaultRecovery(
                    kind: event.kind, atSeconds: event.atSeconds,
                    firstTokenAfterSeconds: recorder.firstToken(after: event.atSeconds, strict: false).map {
                        max(0, $0 - event.atSeconds)
                    },
                    firstStrictTokenAfterSeconds: recorder.firstToken(after: event.atSeconds, strict: true).map {
                        max(0, $0 - event.atSeconds)
                    })
            },
            leaders: leaders,
            generator: Generator(
                cpuSeconds: generator.cpuSeconds, requests: requests,
                cpuMicrosecondsPerRequest: requests > 0 ? generator.cpuSeconds * 1e6 / Double(requests) : nil,
                signedAhead: generator.signedAhead, signedInline: generator.signedInline))
    }
}

extension Array {
    /// The element at `index`, nil past either end.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
