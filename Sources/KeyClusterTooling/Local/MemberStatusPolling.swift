import KeyCluster

/// Waiting for a cluster of member processes to reach a state — one leader the members agree on, a revision
/// applied everywhere — whatever runs the processes (loopback, or one network namespace per member). Each
/// wait polls the members' `/v1/cluster/status` within a bound, so a test or benchmark never hangs.
public protocol MemberStatusPolling: Sendable {
    func status(_ id: UInt64) async throws -> ClusterStatusResponse
    /// How long a wait polls before giving up.
    static var maxWaitSeconds: Double { get }
    /// Interval between polls of the members' status.
    static var pollIntervalMilliseconds: Int { get }
}

/// The cluster did not reach the awaited state in time.
public struct ClusterWaitTimeout: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var description: String { "timed out after \(seconds) s waiting for \(what)" }
}

extension MemberStatusPolling {
    /// A member that says it leads and that every member in `members` names as leader.
    public func waitForLeader(agreedBy members: [UInt64]) async throws -> UInt64 {
        try await poll("a leader that members \(members) agree on") {
            var leaders = Set<UInt64?>()
            for id in members { leaders.insert(try? await status(id).leader) }
            guard leaders.count == 1, let leader = leaders.first ?? nil else { return nil }
            return (try? await status(leader).role) == "leader" ? leader : nil
        }
    }

    /// Waits until every member in `members` has applied at least `revision`.
    public func waitForApplied(_ revision: UInt64, by members: [UInt64]) async throws {
        let _: Bool = try await poll("members \(members) applied \(revision)") {
            for id in members where ((try? await status(id).appliedIndex) ?? 0) < revision { return nil }
            return true
        }
    }

    /// The first non-nil value `probe` gives, polling until `maxWaitSeconds` have passed.
    func poll<T>(_ what: String, _ probe: () async -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .milliseconds(Int(Self.maxWaitSeconds * 1_000))
        while ContinuousClock.now < deadline {
            if let value = await probe() { return value }
            try await Task.sleep(for: .milliseconds(Self.pollIntervalMilliseconds))
        }
        throw ClusterWaitTimeout(what: what, seconds: Self.maxWaitSeconds)
    }
}
