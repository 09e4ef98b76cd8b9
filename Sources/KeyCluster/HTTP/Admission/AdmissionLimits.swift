/// The bounds on what one member's HTTP API takes on at once (design §8, §9), from the `admission` object
/// of the node configuration; every field is optional and defaults to the value below.
///
/// Unlock decisions, management writes and reads each have their own in-flight budget, so management
/// traffic (or a flood of slow management uploads) can never use up the capacity unlocks need: unlocks are
/// admitted ahead of management writes by construction. A request beyond its class's budget, or beyond its
/// source address's fair share of it, is answered at once with 429, `Retry-After` and a problem document,
/// and changes nothing. A signed request, once its signature verifies, is also held to its key id's share
/// of the same budget (`maxKeySharePercent`), so one key used from many addresses cannot fill it either.
///
/// Connections are bounded in two stages (`ClientConnectionTable`): while its TLS handshake runs a
/// connection holds one of `maxHandshakingConnections` slots (the oldest is closed to make room for a new
/// one) and must finish within `handshakeTimeoutMilliseconds`; only then does it count toward
/// `maxConnections`. Every connection counts toward its source address's `maxConnectionsPerSource`.
public struct AdmissionLimits: Codable, Sendable, Equatable {
    /// Client connections with a completed TLS handshake, at once; a handshake that completes beyond it is
    /// closed. Bounds the memory and descriptors of the clients actually being served.
    public var maxConnections: Int
    /// Connections still in their TLS handshake, at once. A stranger's connection costs a descriptor before it
    /// has proven anything, so these have a small budget of their own; when it is full the connection that
    /// has waited longest is closed to make room, so a flood of silent connections delays a real client's
    /// handshake by at most the time it takes the flood to open this many new ones.
    public var maxHandshakingConnections: Int
    /// Connections (handshaking or established) from one source address, at once: one client cannot take
    /// the connection budgets from everyone else.
    public var maxConnectionsPerSource: Int
    /// Unlock (lock, drive, …) decisions in flight: `POST /v1/vehicles/{vin}/commands`.
    public var maxInFlightUnlocks: Int
    /// Management writes in flight: every other POST/PUT (enrolment, grants, resuming keys, operator actions).
    public var maxInFlightWrites: Int
    /// Revocations in flight — revoke, suspend and force-revoke a key, withdraw a token signer: a lane of
    /// their own that unlock and grant load cannot take (design §11), so a revocation is admitted while a
    /// storm is refused.
    public var maxInFlightRevocations: Int
    /// Reads in flight (GET), except `/healthz`, `/readyz` and `/metrics`, which are always answered so an
    /// operator can see an overloaded member.
    public var maxInFlightReads: Int
    /// The share of each in-flight budget one source address may hold, in percent (at least one request):
    /// a single client — or a single attacker — cannot fill the unlock, write or read budget by itself.
    public var maxSharePercent: Int
    /// The share of each in-flight budget the signed requests of one key id may hold, in percent (at least
    /// one request), counted once the signature verifies (so nobody can spend another key's share by naming
    /// its id). Separate from `maxSharePercent` because the two protect against different things: an
    /// address is shared by unrelated clients (a carrier NAT puts many phones behind one), so its share
    /// must stay generous, while a key id is one device or one integration — its share can be tighter, and a
    /// deployment whose service key legitimately keeps many requests in flight can raise it alone.
    public var maxKeySharePercent: Int
    /// The `Retry-After` a refused request is given.
    public var retryAfterSeconds: Int
    /// A client connection that reads nothing for this long is closed — from its accept on, so a TCP
    /// connection that never starts TLS, or stalls mid-handshake or between requests, frees its slot.
    public var idleTimeoutMilliseconds: Int
    /// A connection whose TLS handshake has not completed this long after accept is closed: a handshake that
    /// trickles bytes is never idle, but it must not hold a handshake slot for longer than this.
    public var handshakeTimeoutMilliseconds: Int
    /// A request head must arrive completely within this of its first (decrypted) bytes; else 408 and the
    /// connection is closed. Stops heads sent a byte at a time, which are never idle; a connection that
    /// sends nothing at all is left to the idle timeout.
    public var headerTimeoutMilliseconds: Int
    /// A request body must arrive completely within this of its head; else 408 and the connection is
    /// closed, which frees the request's admission slot. Bodies are at most 64 KiB, so this is also a
    /// minimum body rate (64 KiB in 10 s ≈ 6.5 kB/s); a request that announces a body and trickles it
    /// cannot hold an unlock slot for longer.
    public var bodyTimeoutMilliseconds: Int

    public static let defaultMaxConnections = 1_024
    /// A quarter of `maxConnections`: handshakes take milliseconds, so this is ample for real clients.
    public static let defaultMaxHandshakingConnections = 256
    /// An eighth of `maxConnections`; a carrier NAT puts many phones behind one address, so not smaller.
    public static let defaultMaxConnectionsPerSource = 128
    public static let defaultMaxInFlightUnlocks = 512
    public static let defaultMaxInFlightWrites = 256
    /// Revocations are rare and small (no body beyond a signature); 64 at once is a fleet operator revoking
    /// a batch, and the lane stays small enough that abusing it cannot cost much.
    public static let defaultMaxInFlightRevocations = 64
    public static let defaultMaxInFlightReads = 256
    /// Four sources are needed to fill a budget.
    public static let defaultMaxSharePercent = 25
    /// Ten keys are needed to fill a budget; one key still gets 51 unlocks in flight on a member (each
    /// takes milliseconds), far more than a phone or a fleet integration keeps waiting at once.
    public static let defaultMaxKeySharePercent = 10
    public static let defaultRetryAfterSeconds = 1
    /// Longer than clients keep idle pooled connections (`MemberClient`: 10 s), so a client closes first.
    public static let defaultIdleTimeoutMilliseconds = 15_000
    /// A handshake needs two round trips; 5 s leaves room for the slowest mobile link.
    public static let defaultHandshakeTimeoutMilliseconds = 5_000
    /// Heads are a few hundred bytes: one round trip on any link.
    public static let defaultHeaderTimeoutMilliseconds = 10_000
    /// 64 KiB (the largest body) at ~6.5 kB/s.
    public static let defaultBodyTimeoutMilliseconds = 10_000

    public init(
        maxConnections: Int = defaultMaxConnections, maxHandshakingConnections: Int = defaultMaxHandshakingConnections,
        maxConnectionsPerSource: Int = defaultMaxConnectionsPerSource,
        maxInFlightUnlocks: Int = defaultMaxInFlightUnlocks, maxInFlightWrites: Int = defaultMaxInFlightWrites,
        maxInFlightRevocations: Int = defaultMaxInFlightRevocations, maxInFlightReads: Int = defaultMaxInFlightReads,
        maxSharePercent: Int = defaultMaxSharePercent,
        maxKeySharePercent: Int = defaultMaxKeySharePercent, retryAfterSeconds: Int = defaultRetryAfterSeconds,
        idleTimeoutMilliseconds: Int = defaultIdleTimeoutMilliseconds,
        handshakeTimeoutMilliseconds: Int = defaultHandshakeTimeoutMilliseconds,
        headerTimeoutMilliseconds: Int = defaultHeaderTimeoutMilliseconds,
        bodyTimeoutMilliseconds: Int = defaultBodyTimeoutMilliseconds
    ) {
        self.maxConnections = maxConnections
        self.maxHandshakingConnections = maxHandshakingConnections
        self.maxConnectionsPerSource = maxConnectionsPerSource
        self.maxInFlightUnlocks = maxInFlightUnlocks
        self.maxInFlightWrites = maxInFlightWrites
        self.maxInFlightRevocations = maxInFlightRevocations
        self.maxInFlightReads = maxInFlightReads
        self.maxSharePercent = maxSharePercent
        self.maxKeySharePercent = maxKeySharePercent
        self.retryAfterSeconds = retryAfterSeconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
        self.headerTimeoutMilliseconds = headerTimeoutMilliseconds
        self.bodyTimeoutMilliseconds = bodyTimeoutMilliseconds
    }

    /// Absent fields take their defaults, so a configuration names only what it changes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys, _ fallback: Int) throws -> Int {
            try container.decodeIfPresent(Int.self, forKey: key) ?? fallback
        }
        self.init(
            maxConnections: try value(.maxConnections, Self.defaultMaxConnections),
            maxHandshakingConnections: try value(.maxHandshakingConnections, Self.defaultMaxHandshakingConnections),
            maxConnectionsPerSource: try value(.maxConnectionsPerSource, Self.defaultMaxConnectionsPerSource),
            maxInFlightUnlocks: try value(.maxInFlightUnlocks, Self.defaultMaxInFlightUnlocks),
            maxInFlightWrites: try value(.maxInFlightWrites, Self.defaultMaxInFlightWrites),
            maxInFlightRevocations: try value(.maxInFlightRevocations, Self.defaultMaxInFlightRevocations),
            maxInFlightReads: try value(.maxInFlightReads, Self.defaultMaxInFlightReads),
            maxSharePercent: try value(.maxSharePercent, Self.defaultMaxSharePercent),
            maxKeySharePercent: try value(.maxKeySharePercent, Self.defaultMaxKeySharePercent),
            retryAfterSeconds: try value(.retryAfterSeconds, Self.defaultRetryAfterSeconds),
            idleTimeoutMilliseconds: try value(.idleTimeoutMilliseconds, Self.defaultIdleTimeoutMilliseconds),
            handshakeTimeoutMilliseconds: try value(
                .handshakeTimeoutMilliseconds, Self.defaultHandshakeTimeoutMilliseconds),
            headerTimeoutMilliseconds: try value(.headerTimeoutMilliseconds, Self.defaultHeaderTimeoutMilliseconds),
            bodyTimeoutMilliseconds: try value(.bodyTimeoutMilliseconds, Self.defaultBodyTimeoutMilliseconds))
    }

    /// The range every timeout must lie in, in milliseconds.
    static let timeoutRangeMilliseconds = 100...3_600_000

    /// Why these limits cannot run, or nil.
    var refusal: String? {
        guard maxConnections >= 1, maxHandshakingConnections >= 1, maxConnectionsPerSource >= 1,
            maxInFlightUnlocks >= 1, maxInFlightWrites >= 1, maxInFlightRevocations >= 1, maxInFlightReads >= 1
        else {
            return "admission limits must each be at least 1"
        }
        guard (1...100).contains(maxSharePercent) else { return "admission maxSharePercent must be 1–100" }
        guard (1...100).contains(maxKeySharePercent) else { return "admission maxKeySharePercent must be 1–100" }
        guard (1...3_600).contains(retryAfterSeconds) else { return "admission retryAfterSeconds must be 1–3600" }
        let timeouts = [
            ("idleTimeoutMilliseconds", idleTimeoutMilliseconds),
            ("handshakeTimeoutMilliseconds", handshakeTimeoutMilliseconds),
            ("headerTimeoutMilliseconds", headerTimeoutMilliseconds),
            ("bodyTimeoutMilliseconds", bodyTimeoutMilliseconds),
        ]
        for (name, value) in timeouts where !Self.timeoutRangeMilliseconds.contains(value) {
            return
                "admission \(name) must be \(Self.timeoutRangeMilliseconds.lowerBound)–\(Self.timeoutRangeMilliseconds.upperBound)"
        }
        return nil
    }

    /// The in-flight budget of `requestClass`.
    func budget(of requestClass: RequestClass) -> Int {
        switch requestClass {
        case .unlock: maxInFlightUnlocks
        case .write: maxInFlightWrites
        case .revocation: maxInFlightRevocations
        case .read: maxInFlightReads
        }
    }

    /// How many of `requestClass`'s in-flight slots one source address may hold: `maxSharePercent` of the
    /// budget, rounded down, but at least one (a budget of 2 at 25 % still lets every source in).
    func share(of requestClass: RequestClass) -> Int {
        max(1, budget(of: requestClass) * maxSharePercent / 100)
    }

    /// How many of `requestClass`'s in-flight slots the verified requests of one key id may hold:
    /// `maxKeySharePercent` of the budget, rounded down, but at least one.
    func keyShare(of requestClass: RequestClass) -> Int {
        max(1, budget(of: requestClass) * maxKeySharePercent / 100)
    }
}
