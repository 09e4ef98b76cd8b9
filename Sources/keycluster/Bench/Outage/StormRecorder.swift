import Foundation
import Synchronization

/// The storm's time base: when it started, how long it runs and how it is cut into report windows. Anything
/// after the end (attempts still retrying, revokes still trying) falls into one last "drain" window.
struct StormClock: Sendable {
    /// Report windows are this long (issue 17: "per 5 s window").
    static let windowSeconds = 5

    let start: ContinuousClock.Instant
    let length: Duration

    var end: ContinuousClock.Instant { start + length }

    /// Windows inside the run (the last may be shorter), not counting the drain window.
    var windowCount: Int {
        let seconds = length.seconds
        return max(1, Int((seconds / Double(Self.windowSeconds)).rounded(.up)))
    }

    /// The window `instant` falls in; `windowCount` is the drain window.
    func window(of instant: ContinuousClock.Instant) -> Int {
        guard instant < end else { return windowCount }
        return max(0, min(windowCount - 1, Int((instant - start).seconds / Double(Self.windowSeconds))))
    }

    func seconds(at instant: ContinuousClock.Instant) -> Double { (instant - start).seconds }

    /// Start and end of window `index` in seconds from the start (the drain window ends when it is read).
    func bounds(of index: Int, now: ContinuousClock.Instant = .now) -> (start: Double, end: Double) {
        let runEnd = length.seconds
        guard index < windowCount else { return (runEnd, max(runEnd, seconds(at: now))) }
        return (Double(index * Self.windowSeconds), min(runEnd, Double((index + 1) * Self.windowSeconds)))
    }
}

/// What the storm's clients saw, counted per window: requests, their answers, user attempts and their
/// outcome, revoke acknowledgements and late tokens. One lock around plain counters: at a few thousand
/// events a second it costs far less than the requests themselves.
final class StormRecorder: Sendable {
    enum Population: String, Codable, CaseIterable, Sendable {
        /// Retries at once on any failure, up to `StormUsers.naiveMaxRetries` times.
        case naive
        /// Honours `Retry-After`, backs off exponentially with full jitter, gives up after the success window.
        case backoff
    }

    /// How one request ended, as counted.
    enum Answer: Sendable {
        case token(strict: Bool)
        /// 403: the key is refused (revoked).
        case denied
        /// 429 overloaded / key share full.
        case overloaded
        /// 503: no leader, no fresh state, outcome unknown.
        case unavailable
        case unreachable
        case timedOut
        /// Not sent: this generator already had `StormUsers.maxInFlightPerMember` requests out to the member
        /// (a machine-local limit, counted so a report shows when the generator, not the cluster, was the bound).
        case generatorSaturated
        /// Any other status (a bug or a misconfigured generator: 400, 401 stale timestamp, 409 replay…).
        case other(status: Int)
    }

    struct Window: Sendable {
        var requests = 0
        var strictTokens = 0
        var boundedTokens = 0
        var denied = 0
        var overloaded = 0
        var unavailable = 0
        var unreachable = 0
        var timedOut = 0
        var generatorSaturated = 0
        var otherStatuses: [Int: Int] = [:]
        /// User attempts started in this window that count toward the success target, by population.
        var attempts: [Population: Int] = [:]
        /// Of those, the ones that got a token within the success window.
        var succeeded: [Population: Int] = [:]
        /// Attempts with a revoked (or being revoked) key: not counted toward the target.
        var attemptsWithRevokedKeys = 0
        var revokeAcknowledgementMilliseconds: [Double] = []
        var lateTokens = 0
    }

    /// Tokens are also counted in buckets this long, to find the first one after each fault.
    static let bucketMilliseconds = 100
    /// Buckets kept past the storm's end (attempts still retrying).
    static let drainBuckets = 300

    let clock: StormClock
    private let windows: Mutex<[Window]>
    /// Tokens per bucket since the start: (all, strict).
    private let buckets: Mutex<[(all: Int, strict: Int)]>

    init(clock: StormClock) {
        self.clock = clock
        windows = Mutex(Array(repeating: Window(), count: clock.windowCount + 1))
        let runBuckets = Int((clock.length.seconds * 1_000 / Double(Self.bucketMilliseconds)).rounded(.up))
        buckets = Mutex(Array(repeating: (0, 0), count: runBuckets + Self.drainBuckets))
    }

    /// Seconds from the start to the first token (or first strict token) at or after `seconds`; nil: none.
    func firstToken(after seconds: Double, strict: Bool) -> Double? {
        let from = max(0, Int(seconds * 1_000) / Self.bucketMilliseconds)
        return buckets.withLock { buckets in
            guard from < buckets.count else { return nil }
            return buckets[from...].firstIndex { strict ? $0.strict > 0 : $0.all > 0 }
                .map { Double($0 * Self.bucketMilliseconds) / 1_000 }
        }
    }

    /// A request sent at `sentAt` was answered (or failed) at `instant`: it counts as offered load in the
    /// window it was sent in, its answer in the window it came in.
    func count(_ answer: Answer, sentAt: ContinuousClock.Instant, at instant: ContinuousClock.Instant) {
        let index = clock.window(of: instant)
        let sentIndex = clock.window(of: sentAt)
        if case .token(let strict) = answer {
            let bucket = max(0, Int(clock.seconds(at: instant) * 1_000) / Self.bucketMilliseconds)
            buckets.withLock { buckets in
                guard bucket < buckets.count else { return }
                buckets[bucket].all += 1
                if strict { buckets[bucket].strict += 1 }
            }
        }
        windows.withLock { windows in
            windows[sentIndex].requests += 1
            switch answer {
            case .token(let strict):
                if strict { windows[index].strictTokens += 1 } else { windows[index].boundedTokens += 1 }
            case .denied: windows[index].denied += 1
            case .overloaded: windows[index].overloaded += 1
            case .unavailable: windows[index].unavailable += 1
            case .unreachable: windows[index].unreachable += 1
            case .timedOut: windows[index].timedOut += 1
            case .generatorSaturated: windows[index].generatorSaturated += 1
            case .other(let status): windows[index].otherStatuses[status, default: 0] += 1
            }
        }
    }

    /// A user attempt that began at `start` ended; `eligible` when its key was not being revoked, so it
    /// counts toward "user attempts that got a token within the success window".
    func attemptEnded(startedAt start: ContinuousClock.Instant, population: Population, eligible: Bool, succeeded: Bool)
    {
        let index = clock.window(of: start)
        windows.withLock { windows in
            guard eligible else {
                windows[index].attemptsWithRevokedKeys += 1
                return
            }
            windows[index].attempts[population, default: 0] += 1
            if succeeded { windows[index].succeeded[population, default: 0] += 1 }
        }
    }

    func revokeAcknowledged(at instant: ContinuousClock.Instant, afterMilliseconds latency: Double) {
        let index = clock.window(of: instant)
        windows.withLock { $0[index].revokeAcknowledgementMilliseconds.append(latency) }
    }

    func lateToken(at instant: ContinuousClock.Instant) {
        let index = clock.window(of: instant)
        windows.withLock { $0[index].lateTokens += 1 }
    }

    var snapshot: [Window] { windows.withLock { $0 } }
}
