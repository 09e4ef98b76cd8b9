import Foundation
import NIOCore

/// One peer as the transport tracks it. Lives inside `PeerTransportState`, under its lock.
struct PeerLink {
    var address: PeerAddress
    /// Changes whenever the link is reconfigured (address changed, removed and added again); dial callbacks
    /// carry the generation they were started for and do nothing if it is no longer current.
    var generation: UInt64
    /// The verified connection frames go out on; `nil` while down.
    var channel: Channel?
    var queue: PeerSendQueue
    /// A drain request is on its way to the channel's event loop; no need to send another.
    var isDrainScheduled = false
    var dialAttempt = 0
    var reconnect: Scheduled<Void>?
    var status: PeerLinkStatus

    init(address: PeerAddress, generation: UInt64, isDialer: Bool, limits: PeerTransportLimits) {
        self.address = address
        self.generation = generation
        self.queue = PeerSendQueue(maxFrames: limits.maxQueuedFramesPerPeer, maxBytes: limits.maxQueuedBytesPerPeer)
        self.status = PeerLinkStatus(address: address, isConnected: false, isDialer: isDialer)
    }
}

/// Everything mutable in a `PeerTransport`, guarded by one lock: a handful of small critical sections per
/// frame, never held across I/O or an await.
struct PeerTransportState {
    enum Lifecycle {
        case idle
        case running(server: Channel)
        case shutDown
    }

    var lifecycle = Lifecycle.idle
    /// The peer set to have: from the configuration, then from `updatePeers` (which may come before `start`).
    var peers: [TransportPeerID: PeerAddress]
    var links: [TransportPeerID: PeerLink] = [:]
    /// Every open connection, verified or not, inbound or dialed, so that `shutdown()` can close them all.
    var openChannels: [ObjectIdentifier: Channel] = [:]
    /// The inbound connections not yet verified, and their budgets.
    var unverified: PeerConnectionAdmission<ObjectIdentifier>
    var nextGeneration: UInt64 = 0
    var boundPort: Int?
    var connectionsRefused: UInt64 = 0
    var connectionsEvicted: UInt64 = 0
    var connectionsClosedForBadFrames: UInt64 = 0
    var framesDroppedUnknownPeer: UInt64 = 0
    var connectionWarnings: PeerWarningRateLimiter
    var frameWarnings: PeerWarningRateLimiter

    init(peers: [TransportPeerID: PeerAddress], limits: PeerTransportLimits) {
        self.peers = peers
        self.unverified = PeerConnectionAdmission(
            maxConnections: limits.maxUnverifiedConnections,
            maxConnectionsPerSource: limits.maxUnverifiedConnectionsPerSource)
        let now = ContinuousClock.now
        self.connectionWarnings = PeerWarningRateLimiter(
            maxWarningsPerSecond: limits.maxConnectionWarningsPerSecond, now: now)
        self.frameWarnings = PeerWarningRateLimiter(maxWarningsPerSecond: limits.maxFrameWarningsPerSecond, now: now)
    }

    var isRunning: Bool {
        if case .running = lifecycle { true } else { false }
    }

    /// Runs `body` on the link in place (a copy would make every queue operation copy the queue), or
    /// returns `nil` if there is no such peer.
    mutating func withLink<Result>(_ id: TransportPeerID, _ body: (inout PeerLink) -> Result) -> Result? {
        guard links[id] != nil else { return nil }
        // The force-unwrap is of a key just checked, under the same lock; it keeps the access in place.
        return body(&links[id]!)
    }

    mutating func makeGeneration() -> UInt64 {
        nextGeneration += 1
        return nextGeneration
    }
}
