import Foundation
import RaftNode

/// The one read path (design §6) for everything that decides or shows authorization state — unlock
/// decisions, vehicle state, audit pages, key lists, and the key lookups of signed writes. It answers with a
/// read point, and the caller then reads (authenticates, decides, renders) from the state at that point:
/// 1. **strict** — a ReadIndex point confirmed by the leader within `strictReadTimeout`, applied here;
/// 2. **bounded** — when no leader confirmed in time (or the caller asked for bounded first), this member's
///    applied state if it is proven current within `maxStaleness` (`RaftNode.stateCurrentAsOf`, which rests
///    on the core's freshness probes) and has reached `minRevision`;
/// 3. otherwise 503 with `Retry-After` and the other members' addresses.
/// `minRevision` is waited for by the applied index (no polling), only as far as the cluster could reach:
/// a revision more than `maxRevisionLeadEntries` beyond the read point was never returned by any write.
struct ReadPath: Sendable {
    let node: RaftNode
    /// Zero disables bounded reads.
    let maxStaleness: Duration
    /// Where strict reads answered bounded are counted and reported (nil: not reported — tools and tests).
    var fallbacks: StrictFallbacks? = nil

    /// How long a strict read waits for the leader's confirmation before trying bounded. The wait is
    /// judged on the Raft thread (`RaftExecutor`), where request load does not queue in front of it.
    static let strictReadTimeoutMilliseconds = 500
    static let strictReadTimeout: Duration = .milliseconds(strictReadTimeoutMilliseconds)
    /// How long a read waits for this member to apply the caller's `minRevision` beyond the read point.
    static let maxRevisionWaitMilliseconds = 2_000
    /// A `minRevision` this far past the read point is refused at once (400): no write returned it.
    static let maxRevisionLeadEntries: UInt64 = 10_000

    /// Where a read is made, and how consistent it is.
    struct ReadPoint: Sendable, Equatable {
        /// The applied index the state was read at or after (what a token or answer reports).
        var revision: UInt64
        var consistency: ReadConsistency
    }

    /// What the caller accepts. Strict first is the default everywhere; bounded first is the client's
    /// `?consistency=bounded` (like etcd's serializable reads: no round through the leader when fresh).
    enum Preference: Sendable {
        case strictFirst
        case boundedFirst
        /// Signed writes: their key lookup must see every acknowledged grant; no bounded fallback.
        case strictOnly
    }

    func readPoint(minRevision: UInt64, preference: Preference) async throws -> ReadPoint {
        // Refused before any round through the leader: an absurd revision must cost an anonymous caller's
        // target nothing (issue 12). This member's commit index trails the leader's by far less than the
        // bound unless it is catching up by snapshot — and then it could not answer in time anyway.
        let known = node.published.commitIndex
        if minRevision > known, minRevision - known > Self.maxRevisionLeadEntries {
            throw Self.unknownRevision(minRevision, known: known)
        }
        if preference == .boundedFirst, let bounded = await boundedReadPoint(atLeast: minRevision) { return bounded }
        if let strict = try await strictReadPoint(atLeast: minRevision) { return strict }
        if preference != .strictOnly, let bounded = await boundedReadPoint(atLeast: minRevision) {
            fallbacks?.fellBack()
            return bounded
        }
        var problem = Problem(
            "no-fresh-state", status: .serviceUnavailable,
            title: preference == .strictOnly
                ? "No leader confirmed a read point in time; retry on another member"
                : "No leader answered in time and this member's state is not known to be fresh",
            retryAfterSeconds: 1)
        problem.members = await node.membershipStatus.otherClientAddresses
        throw problem
    }

    /// A ReadIndex point applied here, then `minRevision` applied too; nil when no leader confirmed in time.
    private func strictReadPoint(atLeast minRevision: UInt64) async throws -> ReadPoint? {
        guard let confirmed = try? await node.readIndex(timeout: Self.strictReadTimeout) else { return nil }
        guard minRevision > confirmed else { return ReadPoint(revision: confirmed, consistency: .strict) }
        guard minRevision - confirmed <= Self.maxRevisionLeadEntries else {
            throw Self.unknownRevision(minRevision, known: confirmed)
        }
        return ReadPoint(revision: try await applied(minRevision), consistency: .strict)
    }

    /// This member's applied revision when bounded reads are on, it has applied `minRevision`, and its
    /// state is proven current within `maxStaleness`; else nil.
    private func boundedReadPoint(atLeast minRevision: UInt64) async -> ReadPoint? {
        // Read without a hop onto the node's actor (`PublishedReadState`): the stamp first, then the applied
        // index, which only grows — the state read afterwards is at least as new as both.
        guard maxStaleness > .zero, let currentAsOf = node.published.stateCurrentAsOf,
            ContinuousClock.now - currentAsOf <= maxStaleness
        else { return nil }
        let applied = node.published.appliedIndex
        guard applied >= minRevision else { return nil }
        return ReadPoint(revision: applied, consistency: .bounded)
    }

    static func unknownRevision(_ minRevision: UInt64, known: UInt64) -> Problem {
        Problem(
            "unknown-revision", status: .badRequest,
            title:
                "minRevision \(minRevision) is beyond anything the cluster has committed (\(known)); no write returned it"
        )
    }

    /// Waits for the applied index to reach `revision`, bounded by `maxRevisionWaitMilliseconds`.
    private func applied(_ revision: UInt64) async throws -> UInt64 {
        do {
            return try await node.waitUntilApplied(revision, timeout: .milliseconds(Self.maxRevisionWaitMilliseconds))
        } catch .tooManyWaiters {
            throw Problem(
                "overloaded", status: .tooManyRequests, title: "Too many reads wait for this member to catch up",
                retryAfterSeconds: 1)
        } catch {
            throw Problem(
                "behind-min-revision", status: .serviceUnavailable,
                title: "This member has not applied revision \(revision) yet", retryAfterSeconds: 1)
        }
    }

    /// `?consistency=strict` (the default) or `bounded`; anything else is a 400.
    static func preference(of consistency: String?) throws -> Preference {
        switch consistency {
        case nil, ReadConsistency.strict.rawValue?: return .strictFirst
        case ReadConsistency.bounded.rawValue?: return .boundedFirst
        default: throw Problem("invalid-query", status: .badRequest, title: "consistency must be strict or bounded")
        }
    }
}
