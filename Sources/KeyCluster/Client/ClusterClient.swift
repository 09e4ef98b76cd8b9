import AsyncHTTPClient
import Foundation
import Synchronization

/// A client of the whole cluster: knows every member, tries its own region's first, and moves on to the
/// next member when one is unreachable or answers 503/429 — after a jittered exponential backoff, and only
/// while its retry budget lasts, so a fleet of clients never turns an outage into a retry storm (design §7).
public final class ClusterClient: Sendable {
    /// Members in the order they are tried: the client's region first.
    public let members: [MemberClient]
    public let policy: RetryPolicy
    private let budget: RetryBudget
    /// When each member (by position in `members`) last failed; such members are tried last for a while.
    private let failures = Mutex<[Int: ContinuousClock.Instant]>([:])
    /// How long a member that failed is tried after the others.
    public static let failedMemberPenalty: Duration = .seconds(10)

    public struct RetryPolicy: Sendable {
        /// Tries per call, the first included.
        public var maxAttempts = 6
        public var initialBackoffMilliseconds = 50
        public var maxBackoffMilliseconds = 2_000
        /// Retries earned per successful call; the budget never holds more than `maxBudgetRetries`.
        public var retriesPerSuccess = 0.2
        public var maxBudgetRetries = 20.0
        /// Asked after each failure worth retrying: true ends the call with that failure at once. An operator
        /// tool uses it to stop waiting out retries once it knows no quorum is reachable; phones leave it nil.
        public var stopRetrying: (@Sendable (MemberClient.CallError) async -> Bool)? = nil

        public init() {}
    }

    /// `addresses` with their regions; those in `preferredRegion` come first, each group shuffled so that a
    /// fleet of clients spreads over the members.
    public init(
        addresses: [(address: String, region: String)], preferredRegion: String?, http: HTTPClient,
        policy: RetryPolicy = RetryPolicy()
    ) {
        precondition(!addresses.isEmpty, "a cluster client needs at least one member")
        let local = addresses.filter { $0.region == preferredRegion }.shuffled()
        let remote = addresses.filter { $0.region != preferredRegion }.shuffled()
        members = (local + remote).map { MemberClient(address: $0.address, http: http) }
        self.policy = policy
        budget = RetryBudget(initial: policy.maxBudgetRetries, maximum: policy.maxBudgetRetries)
    }

    /// Runs `call` against members in order until one answers, retrying only what another member may answer.
    public func withFailover<Answer: Sendable>(_ call: (MemberClient) async throws -> Answer) async throws -> Answer {
        var backoffMilliseconds = policy.initialBackoffMilliseconds
        var lastError: (any Error)?
        let order = attemptOrder()
        for attempt in 0..<policy.maxAttempts {
            if attempt > 0 {
                guard budget.spend() else { break }
                // Full jitter: anywhere up to the current step, so retries from many clients spread out.
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...backoffMilliseconds)))
                backoffMilliseconds = min(backoffMilliseconds * 2, policy.maxBackoffMilliseconds)
            }
            let member = order[attempt % order.count]
            do {
                let answer = try await call(members[member])
                budget.earn(policy.retriesPerSuccess)
                return answer
            } catch let error as MemberClient.CallError where error.isWorthRetryingElsewhere {
                failures.withLock { $0[member] = .now }
                lastError = error
                if let stop = policy.stopRetrying, await stop(error) { break }
            }
        }
        throw lastError ?? MemberClient.CallError.unreachable("no member answered and the retry budget is spent")
    }

    /// Member positions in preference order, those that failed within `failedMemberPenalty` moved last.
    private func attemptOrder() -> [Int] {
        let recent = failures.withLock { failures in
            Set(failures.filter { ContinuousClock.now - $0.value < Self.failedMemberPenalty }.keys)
        }
        let positions = Array(members.indices)
        return positions.filter { !recent.contains($0) } + positions.filter { recent.contains($0) }
    }
}

extension MemberClient.CallError {
    /// Unreachable, overloaded or without a leader: another member (or a later try) may succeed. Everything
    /// else (bad input, refused, forbidden) would fail the same way anywhere.
    var isWorthRetryingElsewhere: Bool {
        switch self {
        case .unreachable: true
        case .problem(let status, _, _, _, _): status == 503 || status == 429
        }
    }
}

/// Retries a client may make, earned by successes: a client whose calls keep failing stops retrying.
private final class RetryBudget: Sendable {
    private let tokens: Mutex<Double>
    private let maximum: Double

    init(initial: Double, maximum: Double) {
        tokens = Mutex(initial)
        self.maximum = maximum
    }

    func spend() -> Bool {
        tokens.withLock { tokens in
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    func earn(_ amount: Double) {
        tokens.withLock { $0 = min($0 + amount, maximum) }
    }
}
