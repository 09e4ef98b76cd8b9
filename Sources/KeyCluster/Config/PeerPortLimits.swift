import RaftTransport

/// The bounds on the peer port an operator may need to change (design §9, issue 12), from the `peer` object
/// of the node configuration; every field is optional and defaults to the transport's own default
/// (`PeerTransportLimits`), so the defaults live in one place and a file names only what it changes.
///
/// Only the limits that decide what a stranger on the peer port can hold, how fast a vanished member is
/// noticed, and how much an attacker can make a member log are here. Frame sizes and queue bounds are not:
/// they must agree between members and have no reason to differ per deployment.
public struct PeerPortLimits: Codable, Sendable, Equatable {
    /// A connection that has not completed TLS 1.3 and proved it is a configured member this long after
    /// accept (or connect) is closed: the longest a stranger holds an unverified slot. Raise it for members
    /// whose round trip is long or whose CPU is slow; a handshake is one round trip plus certificate checks.
    public var handshakeTimeoutMilliseconds: Int
    /// Unverified inbound connections (not yet through the handshake and identity check), all sources
    /// together. Verified members and this member's own dials never count against it.
    public var maxUnverifiedConnections: Int
    /// Unverified inbound connections from one source address (an IPv6 /64 counts as one), at most
    /// `maxUnverifiedConnections`. Raise it when several members dial from behind one NAT address.
    public var maxUnverifiedConnectionsPerSource: Int
    /// How soon a link to a member that vanished without a FIN or RST (host down, partition) is closed and
    /// redialed (TCP keepalive and TCP_USER_TIMEOUT; whole seconds, so at least 2 s).
    public var deadPeerTimeoutMilliseconds: Int
    /// Log lines per second about refused, evicted or broken peer connections; anyone who can reach the
    /// port can cause these, so the rest are counted and reported with the next line logged.
    public var maxConnectionWarningsPerSecond: Int
    /// Log lines per second about peer frames that cannot be used (undecodable, or naming another sender).
    public var maxFrameWarningsPerSecond: Int

    /// The transport's defaults: the values every field takes when absent.
    static let defaults = PeerTransportLimits()
    public static let defaultHandshakeTimeoutMilliseconds = defaults.handshakeTimeoutMilliseconds
    public static let defaultMaxUnverifiedConnections = defaults.maxUnverifiedConnections
    public static let defaultMaxUnverifiedConnectionsPerSource = defaults.maxUnverifiedConnectionsPerSource
    public static let defaultDeadPeerTimeoutMilliseconds = defaults.deadPeerTimeoutMilliseconds
    public static let defaultMaxConnectionWarningsPerSecond = defaults.maxConnectionWarningsPerSecond
    public static let defaultMaxFrameWarningsPerSecond = defaults.maxFrameWarningsPerSecond

    /// Below 200 ms a TLS 1.3 handshake between regions (one round trip plus certificate checks on a busy
    /// member) fails for no reason; above a minute a stranger holds an unverified slot for that long.
    static let handshakeTimeoutRangeMilliseconds = 200...60_000
    /// Each unverified connection holds a socket and TLS state; a budget beyond this is no longer small.
    static let maxUnverifiedConnectionsRange = 1...4_096
    /// Keepalive works in whole seconds (at least 2: half idle, then probes); beyond 10 minutes a dead
    /// link looks alive for longer than any operator would wait.
    static let deadPeerTimeoutRangeMilliseconds = 2_000...600_000
    /// At least one line a second, so a problem always shows; beyond 1,000 the limit protects nothing.
    static let warningsPerSecondRange = 1...1_000

    public init(
        handshakeTimeoutMilliseconds: Int = defaultHandshakeTimeoutMilliseconds,
        maxUnverifiedConnections: Int = defaultMaxUnverifiedConnections,
        maxUnverifiedConnectionsPerSource: Int = defaultMaxUnverifiedConnectionsPerSource,
        deadPeerTimeoutMilliseconds: Int = defaultDeadPeerTimeoutMilliseconds,
        maxConnectionWarningsPerSecond: Int = defaultMaxConnectionWarningsPerSecond,
        maxFrameWarningsPerSecond: Int = defaultMaxFrameWarningsPerSecond
    ) {
        self.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
        self.maxUnverifiedConnections = maxUnverifiedConnections
        self.maxUnverifiedConnectionsPerSource = maxUnverifiedConnectionsPerSource
        self.deadPeerTimeoutMilliseconds = deadPeerTimeoutMilliseconds
        self.maxConnectionWarningsPerSecond = maxConnectionWarningsPerSecond
        self.maxFrameWarningsPerSecond = maxFrameWarningsPerSecond
    }

    /// Absent fields take their defaults, so a configuration names only what it changes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys, _ fallback: Int) throws -> Int {
            try container.decodeIfPresent(Int.self, forKey: key) ?? fallback
        }
        self.init(
            handshakeTimeoutMilliseconds: try value(
                .handshakeTimeoutMilliseconds, Self.defaultHandshakeTimeoutMilliseconds),
            maxUnverifiedConnections: try value(.maxUnverifiedConnections, Self.defaultMaxUnverifiedConnections),
            maxUnverifiedConnectionsPerSource: try value(
                .maxUnverifiedConnectionsPerSource, Self.defaultMaxUnverifiedConnectionsPerSource),
            deadPeerTimeoutMilliseconds: try value(
                .deadPeerTimeoutMilliseconds, Self.defaultDeadPeerTimeoutMilliseconds),
            maxConnectionWarningsPerSecond: try value(
                .maxConnectionWarningsPerSecond, Self.defaultMaxConnectionWarningsPerSecond),
            maxFrameWarningsPerSecond: try value(.maxFrameWarningsPerSecond, Self.defaultMaxFrameWarningsPerSecond))
    }

    /// Why these limits cannot run, or nil. Checked with the configuration, so the transport's own
    /// preconditions never stop a member that started from a validated file.
    var refusal: String? {
        func outside(_ name: String, _ value: Int, _ range: ClosedRange<Int>, _ unit: String = "") -> String? {
            range.contains(value)
                ? nil : "peer \(name) must be \(range.lowerBound)–\(range.upperBound)\(unit) (is \(value))"
        }
        if let refusal = outside(
            "handshakeTimeoutMilliseconds", handshakeTimeoutMilliseconds, Self.handshakeTimeoutRangeMilliseconds, " ms")
            ?? outside("maxUnverifiedConnections", maxUnverifiedConnections, Self.maxUnverifiedConnectionsRange)
            ?? outside(
                "maxUnverifiedConnectionsPerSource", maxUnverifiedConnectionsPerSource,
                Self.maxUnverifiedConnectionsRange)
            ?? outside(
                "deadPeerTimeoutMilliseconds", deadPeerTimeoutMilliseconds, Self.deadPeerTimeoutRangeMilliseconds, " ms"
            )
            ?? outside("maxConnectionWarningsPerSecond", maxConnectionWarningsPerSecond, Self.warningsPerSecondRange)
            ?? outside("maxFrameWarningsPerSecond", maxFrameWarningsPerSecond, Self.warningsPerSecondRange)
        {
            return refusal
        }
        guard maxUnverifiedConnectionsPerSource <= maxUnverifiedConnections else {
            return
                "peer maxUnverifiedConnectionsPerSource (\(maxUnverifiedConnectionsPerSource)) must not exceed maxUnverifiedConnections (\(maxUnverifiedConnections))"
        }
        return nil
    }

    /// The transport's limits: its defaults, with these fields set.
    var transportLimits: PeerTransportLimits {
        var limits = PeerTransportLimits()
        limits.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
        limits.maxUnverifiedConnections = maxUnverifiedConnections
        limits.maxUnverifiedConnectionsPerSource = maxUnverifiedConnectionsPerSource
        limits.deadPeerTimeoutMilliseconds = deadPeerTimeoutMilliseconds
        limits.maxConnectionWarningsPerSecond = maxConnectionWarningsPerSecond
        limits.maxFrameWarningsPerSecond = maxFrameWarningsPerSecond
        return limits
    }
}
