import Foundation
import KeyCluster
import Synchronization

/// Which storm keys are being revoked or have been, when each revoke was acknowledged and at what
/// revision — and the judge of late tokens (issue 17 §A.5): a token for a revoked key on a request sent after
/// the acknowledgement (strict), or sent more than the cluster's staleness bound after it (bounded), or
/// decided at a revision that already holds the revocation. The request's send time on this machine is
/// used, not the member's `issuedAtUnixMs`: a request sent after the acknowledgement is necessarily issued
/// after it, while a token issued just after it for a request sent before may be correct.
final class RevocationLedger: Sendable {
    struct Revocation: Sendable {
        var firstTryAt: ContinuousClock.Instant
        var acknowledgedAt: ContinuousClock.Instant?
        /// The revision the revoke committed at (nil when it was learned from a refusal of a retry).
        var revision: UInt64?
    }

    /// A token that should not have been issued, kept for the report.
    struct LateToken: Encodable, Sendable {
        var keyID: String
        var consistency: String
        var issuingNode: UInt64
        /// How long after the revoke's acknowledgement the request was sent.
        var sentAfterAcknowledgementMilliseconds: Double
        var tokenRevision: UInt64
        var revokeRevision: UInt64?
    }

    /// Late tokens kept in full for the report; more are only counted.
    static let maxLateTokenDetails = 20

    private let revocations = Mutex<[Int: Revocation]>([:])
    private let lateTokens = Mutex<[LateToken]>([])
    private let allowed = Atomic<Int>(0)
    let maxStaleness: Duration

    init(maxStaleness: Duration) {
        self.maxStaleness = maxStaleness
    }

    func started(key: Int, at instant: ContinuousClock.Instant) {
        revocations.withLock { $0[key] = Revocation(firstTryAt: instant) }
    }

    func acknowledged(key: Int, at instant: ContinuousClock.Instant, revision: UInt64?) {
        revocations.withLock { revocations in
            revocations[key]?.acknowledgedAt = instant
            revocations[key]?.revision = revision
        }
    }

    /// Whether a revoke of `key` had begun by `instant`: from then on a refusal is a right answer, so the
    /// attempt no longer counts toward the success target.
    func revocationBegun(key: Int, by instant: ContinuousClock.Instant) -> Bool {
        revocations.withLock { $0[key].map { $0.firstTryAt <= instant } ?? false }
    }

    /// Judges a token for `key` issued to a request sent at `sentAt`; records it when late. Returns whether
    /// it was late.
    func judge(_ token: UnlockToken, key: Int, sentAt: ContinuousClock.Instant) -> Bool {
        guard let revocation = revocations.withLock({ $0[key] }), let acknowledgedAt = revocation.acknowledgedAt else {
            return false
        }
        let grace = token.consistency == .strict ? Duration.zero : maxStaleness
        let afterRevision = revocation.revision.map { token.revision >= $0 } ?? false
        guard sentAt > acknowledgedAt + grace || afterRevision else {
            if sentAt > acknowledgedAt { allowed.add(1, ordering: .relaxed) }
            return false
        }
        let late = LateToken(
            keyID: token.keyID.text, consistency: token.consistency.rawValue, issuingNode: token.issuingNode,
            sentAfterAcknowledgementMilliseconds: (sentAt - acknowledgedAt).seconds * 1_000,
            tokenRevision: token.revision,
            revokeRevision: revocation.revision)
        lateTokens.withLock { if $0.count < Self.maxLateTokenDetails { $0.append(late) } }
        return true
    }

    var lateTokenDetails: [LateToken] { lateTokens.withLock { $0 } }

    /// Bounded tokens for a revoked key on requests sent after the acknowledgement but within the staleness
    /// bound: allowed by the bounded promise, and a sign the judge saw such tokens at all.
    var tokensWithinBoundAfterRevoke: Int { allowed.load(ordering: .relaxed) }
}
