import TestSupport

/// Checks a partition-suite history against what KeyCluster promises (design §6, §7):
/// 1. every acknowledged grant and revoke is in effect on every member after healing;
/// 2. no strict unlock authorized a key after its revoke was acknowledged, and no bounded unlock after the
///    acknowledgement + maxStaleness (a member is fresh as of a probe it *sent*, so no delay is added);
/// 3. each key's grants, revokes and strict answers — tokens and refusals alike — are linearizable against
///    a register model;
/// and reports unlock success and p99 latency per fault window.
struct PartitionChecker {
    var maxStaleness: Duration

    /// What each member holds after healing: the active keys of the workload's vehicles, and its applied index.
    struct MemberState {
        var activeKeys: Set<String>
        var appliedIndex: UInt64
    }

    func violations(_ events: [PartitionEvent], finalStates: [UInt64: MemberState]) -> [String] {
        var found: [String] = []
        let byKey = Dictionary(grouping: events, by: \.key)
        let maxAcknowledged =
            events.compactMap { event -> UInt64? in
                if case .acknowledged(let revision) = event.outcome { return revision }
                return nil
            }.max() ?? 0
        for (member, state) in finalStates.sorted(by: { $0.key < $1.key }) where state.appliedIndex < maxAcknowledged {
            found.append("member \(member) applied \(state.appliedIndex) < acknowledged revision \(maxAcknowledged)")
        }
        for key in byKey.keys.sorted() {
            let history = (byKey[key] ?? []).sorted { $0.invokedAt < $1.invokedAt }
            found += lostWrites(key, history, finalStates)
            found += unlocksAfterRevoke(key, history)
            if !WingGongSearch.isLinearizable(history.compactMap(Self.registerOperation), model: GrantRegister.self) {
                found.append(
                    "key \(key): grants, revokes and strict unlocks are not linearizable:\n  "
                        + history.map(\.description).joined(separator: "\n  "))
            }
        }
        return found
    }

    /// An acknowledged grant with no revoke attempted must be active everywhere; an acknowledged revoke
    /// must have removed the key everywhere (the workload never grants a key again after revoking it).
    private func lostWrites(_ key: String, _ history: [PartitionEvent], _ finalStates: [UInt64: MemberState])
        -> [String]
    {
        let acknowledged = { (operation: PartitionEvent.Operation) in
            history.contains { if case .acknowledged = $0.outcome { $0.operation == operation } else { false } }
        }
        let revokeMayHaveApplied = history.contains {
            if case .refused = $0.outcome { false } else { $0.operation == .revoke }
        }
        var found: [String] = []
        for (member, state) in finalStates.sorted(by: { $0.key < $1.key }) {
            if acknowledged(.revoke), state.activeKeys.contains(key) {
                found.append("key \(key): acknowledged revoke lost on member \(member)")
            }
            if acknowledged(.grant), !revokeMayHaveApplied, !state.activeKeys.contains(key) {
                found.append("key \(key): acknowledged grant lost on member \(member)")
            }
        }
        return found
    }

    private func unlocksAfterRevoke(_ key: String, _ history: [PartitionEvent]) -> [String] {
        let revokedAt = history.compactMap { event -> Duration? in
            guard event.operation == .revoke, case .acknowledged = event.outcome else { return nil }
            return event.returnedAt
        }.min()
        guard let revokedAt else { return [] }
        return history.compactMap { event in
            guard event.operation == .unlock, case .authorized(let strict) = event.outcome else { return nil }
            let limit = strict ? revokedAt : revokedAt + maxStaleness
            guard event.invokedAt > limit else { return nil }
            return
                "key \(key): \(strict ? "strict" : "bounded") unlock invoked \((event.invokedAt - revokedAt).milliseconds) ms "
                + "after the revoke was acknowledged: \(event)"
        }
    }

    /// The register view of an event: writes with their answers; strict unlock answers as reads — a token
    /// saw the key active, a strict refusal saw it inactive (both are decided at a linearizable read point).
    /// Bounded answers are not linearizable reads; rule 2 checks them.
    static func registerOperation(_ event: PartitionEvent) -> HistoryOperation<GrantRegister>? {
        let input: GrantRegister.Input
        switch event.operation {
        case .grant: input = .grant
        case .revoke: input = .revoke
        case .unlock:
            switch event.outcome {
            case .authorized(strict: true), .denied(strict: true): input = .strictUnlock
            default: return nil
            }
        }
        let output: GrantRegister.Output?
        switch event.outcome {
        case .acknowledged, .authorized: output = .ok
        case .refused, .denied: output = .refused
        case .unknown: output = nil
        }
        return HistoryOperation(
            input: input, invokedAt: event.invokedAt.nanoseconds,
            returnedAt: output == nil ? nil : event.returnedAt?.nanoseconds,
            output: output)
    }

    /// One key's grant on its vehicle: active or not.
    enum GrantRegister: SequentialModel {
        enum Input { case grant, revoke, strictUnlock }
        enum Output: Equatable { case ok, refused }

        static let initialState = false

        static func apply(_ input: Input, to active: Bool) -> (state: Bool, output: Output) {
            switch input {
            case .grant: active ? (true, .refused) : (true, .ok)
            case .revoke: active ? (false, .ok) : (false, .refused)
            case .strictUnlock: (active, active ? .ok : .refused)
            }
        }
    }

    /// Unlock success rate and latency within one fault window.
    struct WindowStats: CustomStringConvertible {
        var phase: PartitionHistory.Phase
        var attempts: Int
        var answered: Int
        var p99: Duration?

        var successRate: Double { attempts == 0 ? 1 : Double(answered) / Double(attempts) }

        var description: String {
            "\(phase.name): \(answered)/\(attempts) unlocks answered (\(Int((successRate * 1_000).rounded()) / 10)%), "
                + "p99 \(p99.map { "\($0.milliseconds) ms" } ?? "–")"
        }
    }

    /// For each phase, the unlocks invoked in it: answered (a token or a denial) versus failed, and the p99
    /// latency of the answered ones.
    static func windowStats(_ events: [PartitionEvent], phases: [PartitionHistory.Phase]) -> [WindowStats] {
        phases.map { phase in
            let unlocks = events.filter {
                $0.operation == .unlock && !$0.isProbe && $0.invokedAt >= phase.start && $0.invokedAt < phase.end
            }
            let answered = unlocks.filter { if case .unknown = $0.outcome { false } else { true } }
            let latencies = answered.compactMap { event in event.returnedAt.map { $0 - event.invokedAt } }.sorted()
            let p99 = latencies.isEmpty ? nil : latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
            return WindowStats(phase: phase, attempts: unlocks.count, answered: answered.count, p99: p99)
        }
    }
}
