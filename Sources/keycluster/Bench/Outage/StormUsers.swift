import AsyncHTTPClient
import Foundation
import KeyCluster
import NIOCore
import Synchronization

/// The people pressing "unlock" during the storm: open-loop arrivals (a Poisson process at a fixed rate,
/// whatever the cluster answers — people do not wait for each other), each one *user attempt* that retries
/// until it has a token, is refused, or gives up. Half the users are naive apps (retry at once, on any
/// failure, up to `naiveMaxRetries` times), half honour `Retry-After` and back off with full jitter until
/// `successWindow`. Each user picks a member at random first, as a phone would, and moves to the next one
/// when that member cannot be reached, does not answer in time, or says it cannot decide (503).
struct StormUsers: Sendable {
    /// Retries a naive app makes after its first request.
    static let naiveMaxRetries = 5
    /// A user attempt succeeds if it has a token this long after the press; backoff users give up then.
    static let successWindow = Duration.seconds(10)
    /// How long an app waits for one answer before treating the member as gone.
    static let requestTimeout = Duration.seconds(2)
    /// First backoff step and its ceiling (full jitter: a uniform wait in [0, step]).
    static let backoffBaseMilliseconds = 100
    static let backoffCapMilliseconds = 4_000
    /// Share of arrivals that use one of the keys to be revoked: enough tokens for those keys that a late
    /// one would be seen, while most users hold keys that stay valid.
    static let revocableKeyShare = 0.2
    /// Requests this generator keeps out to one member at most, its HTTP connections to it. Beyond, a request
    /// would wait in the HTTP client's queue, whose timeout handling costs time linear in its length: under a
    /// storm against a dead or frozen member, that queue took the generator's whole CPU (seen in a debug run:
    /// members idle, the client's event loops busy removing timed-out requests). Phones have no shared queue.
    static let maxInFlightPerMember = 256

    let members: [String]
    let signed: RollingSignedUnlocks
    /// Indexes into `signed.holders` of the keys revoked during the storm, and of those that stay valid.
    let revocableKeys: [Int]
    let stableKeys: [Int]
    let http: HTTPClient
    let recorder: StormRecorder
    let ledger: RevocationLedger
    /// Requests out to each member (by index into `members`).
    let inFlight: InFlightCounts

    /// Starts users at `perSecond` until the storm's end, then waits for every attempt to end.
    func run(perSecond: Double) async {
        precondition(perSecond > 0 && !members.isEmpty && !stableKeys.isEmpty, "a storm has users, members and keys")
        let clock = recorder.clock
        await withDiscardingTaskGroup { group in
            var next = clock.start
            // A generator that falls behind stops at the end too, rather than sending the backlog after it.
            while next < clock.end, ContinuousClock.now < clock.end {
                if next > .now { try? await Task.sleep(until: next, clock: .continuous) }
                let population: StormRecorder.Population = Bool.random() ? .naive : .backoff
                let key =
                    Double.random(in: 0..<1) < Self.revocableKeyShare && !revocableKeys.isEmpty
                    ? revocableKeys.randomElement() ?? stableKeys[0] : stableKeys.randomElement() ?? stableKeys[0]
                let firstMember = Int.random(in: 0..<members.count)
                group.addTask { await attempt(population: population, key: key, firstMember: firstMember) }
                // Exponential gaps: a Poisson process, as independent people pressing at random are.
                let gap = -log(Double.random(in: Double.ulpOfOne..<1)) / perSecond
                next = next + .nanoseconds(Int64(gap * 1e9))
            }
        }
    }

    /// One user attempt, from the press to a token, a refusal, or giving up.
    func attempt(population: StormRecorder.Population, key: Int, firstMember: Int) async {
        let start = ContinuousClock.now
        let eligibleAtStart = !ledger.revocationBegun(key: key, by: start)
        var member = firstMember
        var failures = 0
        var succeeded = false
        var refused = false
        tries: while true {
            guard let headers = signed.take(key: key) else { break }
            let sentAt = ContinuousClock.now
            let target = member
            let outcome: StormRequest.Outcome?
            if inFlight.enter(target) {
                outcome = await StormRequest.post(
                    to: members[target], path: signed.path, headers: headers, body: PresignedUnlocks.body,
                    timeout: Self.requestTimeout,
                    http: http)
                inFlight.leave(target)
            } else {
                outcome = nil
            }
            let answeredAt = ContinuousClock.now
            var retryAfterSeconds: Int?
            switch outcome {
            case nil:
                recorder.count(.generatorSaturated, sentAt: sentAt, at: answeredAt)
                member = (member + 1) % members.count
            case .answered(200, _, let body?):
                let token = Self.token(in: body)
                recorder.count(.token(strict: token?.consistency == .strict), sentAt: sentAt, at: answeredAt)
                if let token, ledger.judge(token, key: key, sentAt: sentAt) { recorder.lateToken(at: answeredAt) }
                succeeded = answeredAt - start <= Self.successWindow
                break tries
            case .answered(403, _, _):
                recorder.count(.denied, sentAt: sentAt, at: answeredAt)
                refused = true
                break tries
            case .answered(429, let retryAfter, _):
                recorder.count(.overloaded, sentAt: sentAt, at: answeredAt)
                retryAfterSeconds = retryAfter
            case .answered(503, let retryAfter, _):
                recorder.count(.unavailable, sentAt: sentAt, at: answeredAt)
                retryAfterSeconds = retryAfter
                member = (member + 1) % members.count
            case .answered(let status, _, _):
                recorder.count(.other(status: status), sentAt: sentAt, at: answeredAt)
                break tries
            case .unreachable:
                recorder.count(.unreachable, sentAt: sentAt, at: answeredAt)
                member = (member + 1) % members.count
            case .timedOut:
                recorder.count(.timedOut, sentAt: sentAt, at: answeredAt)
                member = (member + 1) % members.count
            }
            failures += 1
            switch population {
            case .naive:
                guard failures <= Self.naiveMaxRetries else { break tries }
            case .backoff:
                let step = min(Self.backoffCapMilliseconds, Self.backoffBaseMilliseconds << min(failures - 1, 16))
                let wait = max(Duration.seconds(retryAfterSeconds ?? 0), .milliseconds(Int.random(in: 0...step)))
                guard ContinuousClock.now + wait - start < Self.successWindow else { break tries }
                try? await Task.sleep(for: wait)
            }
        }
        // A refusal once the key's revocation had begun is the right answer, not a failed attempt.
        let eligible = eligibleAtStart && !(refused && ledger.revocationBegun(key: key, by: .now))
        recorder.attemptEnded(startedAt: start, population: population, eligible: eligible, succeeded: succeeded)
    }

    /// The token inside a 200 answer (a `SignedDocument` whose payload is the token's JSON), nil if it is
    /// not one: counted as a bounded token then, never as a strict one.
    static func token(in body: ByteBuffer) -> UnlockToken? {
        guard let document = try? JSONDecoder().decode(SignedDocument.self, from: Data(body.readableBytesView)),
            let payload = Data(base64Encoded: document.payload)
        else { return nil }
        return try? JSONDecoder().decode(UnlockToken.self, from: payload)
    }
}

/// Requests out to each member from this generator, bounded by `StormUsers.maxInFlightPerMember`.
final class InFlightCounts: Sendable {
    private let counts: Mutex<[Int]>

    init(members: Int) {
        counts = Mutex(Array(repeating: 0, count: members))
    }

    /// Takes a slot toward `member`; false when all are taken.
    func enter(_ member: Int) -> Bool {
        counts.withLock { counts in
            guard counts[member] < StormUsers.maxInFlightPerMember else { return false }
            counts[member] += 1
            return true
        }
    }

    func leave(_ member: Int) {
        counts.withLock { $0[member] -= 1 }
    }
}
