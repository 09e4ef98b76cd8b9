import Foundation

/// What an operator or the runtime can see of one peer link.
public struct PeerLinkStatus: Sendable, Equatable {
    public var address: PeerAddress
    /// Whether a verified connection is up now.
    public var isConnected: Bool
    /// Whether this node dials the peer (lower id dials higher) or waits for it.
    public var isDialer: Bool
    public var framesSent: UInt64 = 0
    /// Dropped at `send`: the lane was full.
    public var framesDroppedQueueFull: UInt64 = 0
    /// Dropped at `send` because no connection was up, or queued when the connection went down.
    public var framesDroppedNotConnected: UInt64 = 0
    public var framesReceived: UInt64 = 0
    /// Received but dropped because the consumer of `inboundFrames` was behind.
    public var framesDroppedInbound: UInt64 = 0
    /// Verified connections established with this peer, including replacements.
    public var connectionsEstablished: UInt64 = 0
    public var lastConnectedAt: Date?
    public var queuedFrames: Int = 0
}

/// What the transport as a whole has seen.
public struct PeerTransportStatus: Sendable, Equatable {
    public var localID: TransportPeerID
    public var boundPort: Int?
    public var peers: [TransportPeerID: PeerLinkStatus]
    /// Connections closed because the peer was not who it had to be (bad certificate identity, unknown
    /// node, wrong direction) or did not finish the handshake in time, or the unverified budget (all
    /// sources, or the source's own) was full of connections already handshaking.
    public var connectionsRefused: UInt64
    /// Silent unverified connections closed to make room for a newer one (a full unverified budget).
    /// Steady growth means something is holding idle connections open on the peer port.
    public var connectionsEvicted: UInt64
    /// Inbound connections open now that have not (yet) proved a member's identity.
    public var unverifiedConnections: Int
    /// Connections closed because their byte stream was not valid frames (oversize, unknown version, …).
    public var connectionsClosedForBadFrames: UInt64
    /// `send` to an id that is not a peer (e.g. just removed by a membership change).
    public var framesDroppedUnknownPeer: UInt64
}

/// A change of a link's connectivity, for a runtime that reacts at once (e.g. a follower that sees its
/// leader's connection go may start a pre-vote without waiting for its election timeout).
public enum PeerLinkEvent: Sendable, Equatable {
    case connected(TransportPeerID)
    case disconnected(TransportPeerID)
}
