/// A cluster member's id as the transport sees it. Kept apart from the core's `NodeID` so the transport
/// does not depend on Raft types; the node runtime converts between the two.
public typealias TransportPeerID = UInt64

/// Where a peer listens.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        precondition(!host.isEmpty, "peer host must not be empty")
        precondition((1...65_535).contains(port), "peer port \(port) out of range")
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

/// PEM files of this node's TLS identity and of the cluster CA that every peer certificate must chain to.
public struct PeerTLSFiles: Sendable {
    public var caCertificatePath: String
    public var certificatePath: String
    public var privateKeyPath: String

    public init(caCertificatePath: String, certificatePath: String, privateKeyPath: String) {
        self.caCertificatePath = caCertificatePath
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

/// Every bound the transport keeps. Defaults suit a LAN or WAN cluster of 3–5 nodes.
public struct PeerTransportLimits: Sendable {
    /// Largest frame (version byte + payload) sent or accepted; a larger inbound frame closes the connection.
    public var maxFrameBytes = PeerFrameFormat.defaultMaxFrameBytes
    /// Frames waiting to be written to one peer, per lane; beyond it `send` drops (Raft retransmits).
    public var maxQueuedFramesPerPeer = 1_024
    /// Payload bytes waiting to be written to one peer, per lane.
    public var maxQueuedBytesPerPeer = 32 * 1024 * 1024
    /// Received frames not yet taken by the consumer of `inboundFrames`; beyond it frames are dropped.
    public var maxInboundFrames = 4_096
    /// Received payload bytes not yet taken by the consumer.
    public var maxInboundBytes = 64 * 1024 * 1024
    /// Link events not yet taken by the consumer of `linkEvents`; the oldest are dropped beyond it (the
    /// newest say what is true now, and `status()` has the whole picture).
    public var maxPendingLinkEvents = 256
    /// Inbound connections not yet through the TLS handshake and the identity check, all sources together.
    /// Anyone who can reach the port can open these, so they have a budget of their own: verified members
    /// never count against it (a stranger never takes a member's place) and this member's own dials never
    /// do either (there is one per peer at most). Small, because each holds a socket and TLS state for up to
    /// `handshakeTimeoutMilliseconds`. When it is full, a new connection evicts the oldest one that has not
    /// sent a byte (an idle stranger; a member's dial sends its ClientHello at once) and is refused only
    /// when every held connection is already handshaking.
    public var maxUnverifiedConnections = 32
    /// Unverified inbound connections from one source address (an IPv6 /64 counts as one source: one host
    /// gets a whole /64). Far below `maxUnverifiedConnections`, so one address cannot take the whole
    /// budget from members dialing from elsewhere; above 1, because a member redials while its previous
    /// connection is still being torn down and several members may share a NAT address. At the cap, a new
    /// connection from that source evicts the source's oldest silent connection, else it is refused.
    public var maxUnverifiedConnectionsPerSource = 8
    /// First reconnect delay; each failure doubles it up to `reconnectMaxDelayMilliseconds`, with jitter.
    public var reconnectInitialDelayMilliseconds = 50
    /// Kept short because only the lower-id side of a pair dials: a restarted higher-id member hears
    /// nothing from a lower-id leader until that leader redials, so this bounds how long it stays without
    /// a leader (and refuses writes) after it returns. A dial to a dead peer costs one SYN.
    public var reconnectMaxDelayMilliseconds = 500
    public var connectTimeoutMilliseconds = 2_000
    /// A connection, inbound or dialed, that has not completed TLS and proved its identity by then is closed;
    /// counted from accept (or connect), so a stranger that never sends a byte holds an unverified slot no
    /// longer than this. A TLS 1.3 handshake is one round trip plus certificate checks, well under a second
    /// even between continents; the margin is for a loaded member.
    public var handshakeTimeoutMilliseconds = 3_000
    /// Bytes handed to the socket before the link stops taking frames from its queue. Small, so that a
    /// control frame queued behind bulk traffic waits for at most about one bulk frame.
    public var writeBufferHighWaterMarkBytes = 64 * 1024
    /// Unsent bytes the kernel may hold for a connection (TCP_NOTSENT_LOWAT). Without it the socket buffer
    /// (megabytes once auto-tuned) would sit between a queued heartbeat and the wire; with it, bytes in flight
    /// (sent, unacknowledged) are still unlimited, so throughput over a long link does not suffer.
    public var socketUnsentLowWaterMarkBytes = 128 * 1024
    /// How soon a connection to a peer that vanished (host down, partition: no RST, no FIN) is closed, so
    /// status stops saying "connected" and the dialer redials. Done by the kernel: TCP keepalive probes on an
    /// idle link (half the time idle, then one probe a second), and TCP_USER_TIMEOUT for data left
    /// unacknowledged. On Linux only; elsewhere plain SO_KEEPALIVE.
    public var deadPeerTimeoutMilliseconds = 6_000
    /// Lines per second about refused, evicted or broken connections; the rest are counted, not logged, and
    /// the next line logged says how many were left out. Anyone who can reach the port can cause these.
    public var maxConnectionWarningsPerSecond = 20
    /// Lines per second about frames that cannot be used (undecodable, or naming another sender): a member
    /// sending such frames sends them at its message rate, thousands a second. Its own budget, so a flood
    /// of strangers cannot hide a broken member's lines, nor the other way round.
    public var maxFrameWarningsPerSecond = 5

    public init() {}

    func validate() {
        precondition(maxFrameBytes >= 1 && maxFrameBytes <= Int(UInt32.max), "maxFrameBytes out of range")
        precondition(
            maxQueuedFramesPerPeer >= 1 && maxQueuedBytesPerPeer >= maxFrameBytes,
            "a peer's queue must hold at least one frame of the largest size")
        precondition(
            maxInboundFrames >= 1 && maxInboundBytes >= maxFrameBytes,
            "the inbound buffer must hold at least one frame of the largest size")
        precondition(
            maxConnectionWarningsPerSecond >= 1 && maxFrameWarningsPerSecond >= 1, "warning rates must be positive")
        precondition(maxPendingLinkEvents >= 1, "maxPendingLinkEvents must be positive")
        precondition(
            maxUnverifiedConnectionsPerSource >= 1 && maxUnverifiedConnections >= maxUnverifiedConnectionsPerSource,
            "unverified connection budgets out of order")
        precondition(
            reconnectInitialDelayMilliseconds >= 1
                && reconnectMaxDelayMilliseconds >= reconnectInitialDelayMilliseconds,
            "reconnect delays out of order")
        precondition(connectTimeoutMilliseconds >= 1 && handshakeTimeoutMilliseconds >= 1, "timeouts must be positive")
        precondition(writeBufferHighWaterMarkBytes >= 2, "write buffer high water mark too small")
        precondition(
            deadPeerTimeoutMilliseconds >= 2_000 && deadPeerTimeoutMilliseconds <= 600_000,
            "deadPeerTimeoutMilliseconds out of range (keepalive works in whole seconds)")
        precondition(
            socketUnsentLowWaterMarkBytes >= 1 && socketUnsentLowWaterMarkBytes <= Int(Int32.max),
            "socket unsent low water mark out of range")
    }
}

/// What a `PeerTransport` is: who this node is, where it listens, who its peers are, its TLS identity.
public struct PeerTransportConfiguration: Sendable {
    public var localID: TransportPeerID
    /// Address to bind; port 0 picks a free port (`start()` returns the one bound).
    public var listenHost: String
    public var listenPort: Int
    /// The other members, never this node. Changed at run time with `PeerTransport.updatePeers(_:)`.
    public var peers: [TransportPeerID: PeerAddress]
    public var tls: PeerTLSFiles
    public var limits: PeerTransportLimits

    public init(
        localID: TransportPeerID, listenHost: String, listenPort: Int, peers: [TransportPeerID: PeerAddress],
        tls: PeerTLSFiles, limits: PeerTransportLimits = PeerTransportLimits()
    ) {
        precondition(!listenHost.isEmpty, "listen host must not be empty")
        precondition((0...65_535).contains(listenPort), "listen port \(listenPort) out of range")
        precondition(peers[localID] == nil, "a node is not its own peer")
        limits.validate()
        self.localID = localID
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.peers = peers
        self.tls = tls
        self.limits = limits
    }
}
