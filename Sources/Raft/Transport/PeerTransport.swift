import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Byte-frame links between cluster members over mutual TLS (design §3 Transport).
///
/// One long-lived TCP connection per peer pair: the member with the lower id dials, the higher accepts,
/// and both send on it. Payloads are opaque bytes (encoded Raft messages); the transport never looks
/// inside them. `send` never blocks: with the peer down or its queue full it drops and counts the frame,
/// because Raft retransmits and a stalled sender would be worse than a lost message.
///
/// Lifecycle: `start()` once, then `send`/`updatePeers`/`status` from any thread, `inboundFrames` from one
/// consumer task, and `shutdown()` once at the end (required: connections hold event-loop resources).
public final class PeerTransport: Sendable {
    public let localID: TransportPeerID
    let configuration: PeerTransportConfiguration
    let group: any EventLoopGroup
    let logger: Logger
    let tls: PeerTLSContexts
    let backoff: PeerReconnectBackoff
    let state: Mutex<PeerTransportState>
    let inbound: PeerInboundBuffer
    /// Connectivity changes, in the order they happened (yielded under the state lock for that reason).
    public let linkEvents: AsyncStream<PeerLinkEvent>
    let linkEventsContinuation: AsyncStream<PeerLinkEvent>.Continuation

    /// Reads the TLS files now, so a bad path or key fails here rather than at first connection.
    public init(
        configuration: PeerTransportConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "keycluster.transport")
    ) throws {
        self.localID = configuration.localID
        self.configuration = configuration
        self.group = group
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.localID)"
        self.logger = logger
        self.tls = try PeerTLSContexts(files: configuration.tls)
        if let mode = PeerTLSContexts.looseMode(ofPrivateKeyAt: configuration.tls.privateKeyPath) {
            // Not fatal: the key is already exposed, and refusing to start would take a member out of the
            // cluster; loud, so the operator fixes it.
            logger.warning(
                "private key file is readable by others; it should be mode 0600",
                metadata: ["path": "\(configuration.tls.privateKeyPath)", "mode": "\(String(mode, radix: 8))"])
        }
        self.backoff = PeerReconnectBackoff(
            initialDelayMilliseconds: configuration.limits.reconnectInitialDelayMilliseconds,
            maxDelayMilliseconds: configuration.limits.reconnectMaxDelayMilliseconds)
        self.inbound = PeerInboundBuffer(
            maxFrames: configuration.limits.maxInboundFrames, maxBytes: configuration.limits.maxInboundBytes)
        self.state = Mutex(PeerTransportState(peers: configuration.peers, limits: configuration.limits))
        (linkEvents, linkEventsContinuation) = AsyncStream.makeStream(
            of: PeerLinkEvent.self, bufferingPolicy: .bufferingNewest(configuration.limits.maxPendingLinkEvents))
    }

    var limits: PeerTransportLimits { configuration.limits }

    /// The largest payload `send` takes; the runtime chunks snapshots below it.
    public var maxPayloadBytes: Int { limits.maxFrameBytes - 1 }

    /// Frames received from verified peers. One consumer; it ends after `shutdown()`.
    public var inboundFrames: PeerInboundFrames { PeerInboundFrames(buffer: inbound) }

    /// Binds the listener and starts dialing the peers with higher ids. Returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        state.withLock { state in
            guard case .idle = state.lifecycle else { preconditionFailure("PeerTransport.start() called twice") }
        }
        let server = try await makeServerBootstrap()
            .bind(host: configuration.listenHost, port: configuration.listenPort).get()
        guard let port = server.localAddress?.port else {
            try? await server.close()
            throw PeerTransportError.noBoundPort
        }
        let dials = state.withLock { state -> [(TransportPeerID, UInt64)]? in
            // `shutdown()` may have run while the listener was being bound.
            guard case .idle = state.lifecycle else { return nil }
            state.lifecycle = .running(server: server)
            state.boundPort = port
            return state.peers.compactMap { id, address in addLink(id, address: address, in: &state) }
        }
        guard let dials else {
            try? await server.close()
            throw PeerTransportError.shutDown
        }
        logger.info("peer transport listening", metadata: ["port": "\(port)", "dialing": "\(dials.map(\.0).sorted())"])
        for (peer, generation) in dials { dial(peer, generation: generation) }
        return port
    }

    /// Closes the listener and every connection, cancels redials and ends `inboundFrames`.
    public func shutdown() async {
        let (server, channels) = state.withLock { state -> (Channel?, [Channel]) in
            var server: Channel?
            if case .running(let channel) = state.lifecycle { server = channel }
            state.lifecycle = .shutDown
            for id in state.links.keys { state.links[id]?.reconnect?.cancel() }
            return (server, Array(state.openChannels.values))
        }
        try? await server?.close()
        for channel in channels {
            channel.close(promise: nil)
            try? await channel.closeFuture.get()
        }
        inbound.finish()
        linkEventsContinuation.finish()
        logger.info("peer transport shut down")
    }

    /// Queues `payload` for `peer` and returns at once. Drops (and counts) the frame when the peer is not
    /// connected or the lane is full; returns whether it was queued.
    @discardableResult
    public func send(to peer: TransportPeerID, payload: [UInt8], lane: PeerTransportLane) -> Bool {
        precondition(peer != localID, "a node does not send to itself")
        precondition(
            payload.count <= maxPayloadBytes,
            "payload of \(payload.count) bytes exceeds maxFrameBytes; the sender must chunk it")
        let frame = PeerFrameFormat.encode(
            payload: payload, maxFrameBytes: limits.maxFrameBytes, allocator: ByteBufferAllocator())
        let (queued, drainOn) = state.withLock { state -> (Bool, Channel?) in
            guard state.links[peer] != nil else {
                state.framesDroppedUnknownPeer += 1
                return (false, nil)
            }
            return state.withLink(peer) { link -> (Bool, Channel?) in
                guard let channel = link.channel else {
                    link.status.framesDroppedNotConnected += 1
                    return (false, nil)
                }
                guard link.queue.enqueue(frame, lane: lane) else {
                    link.status.framesDroppedQueueFull += 1
                    return (false, nil)
                }
                guard !link.isDrainScheduled else { return (true, nil) }
                link.isDrainScheduled = true
                return (true, channel)
            } ?? (false, nil)
        }
        drainOn?.pipeline.fireUserInboundEventTriggered(PeerDrainRequest())
        return queued
    }

    /// Bytes waiting in `peer`'s `lane`, or nil when there is no link to `peer` (its frames would be
    /// dropped): lets a long stream, such as a snapshot, pace itself to the link instead of overflowing the
    /// queue, and wait while there is no link instead of reading its whole source into the void.
    public func queuedBytes(to peer: TransportPeerID, lane: PeerTransportLane) -> Int? {
        state.withLock { state in state.withLink(peer) { $0.queue.queuedBytes(in: lane) } }
    }

    /// Replaces the peer set (membership change). New peers are dialed or awaited; removed peers are
    /// disconnected; a peer this node dials whose address changed is redialed (the address of a peer that
    /// dials us is only recorded: its connection stays). Before `start()` it replaces the configured set.
    public func updatePeers(_ peers: [TransportPeerID: PeerAddress]) {
        precondition(peers[localID] == nil, "a node is not its own peer")
        let (toClose, toDial) = state.withLock { state -> ([Channel], [(TransportPeerID, UInt64)]) in
            state.peers = peers
            guard state.isRunning else { return ([], []) }
            var toClose: [Channel] = []
            var toDial: [(TransportPeerID, UInt64)] = []
            for (id, link) in state.links where peers[id] != link.address {
                if let address = peers[id], !dials(id) {
                    state.withLink(id) { link in
                        link.address = address
                        link.status.address = address
                    }
                    continue
                }
                link.reconnect?.cancel()
                if let channel = link.channel {
                    toClose.append(channel)
                    linkEventsContinuation.yield(.disconnected(id))
                }
                state.links[id] = nil
            }
            for (id, address) in peers where state.links[id] == nil {
                if let dial = addLink(id, address: address, in: &state) { toDial.append(dial) }
            }
            return (toClose, toDial)
        }
        logger.info("peer set updated", metadata: ["peers": "\(peers.keys.sorted())"])
        for channel in toClose { channel.close(promise: nil) }
        for (peer, generation) in toDial { dial(peer, generation: generation) }
    }

    /// A snapshot of every link's state and counters.
    public func status() -> PeerTransportStatus {
        state.withLock { state in
            PeerTransportStatus(
                localID: localID,
                boundPort: state.boundPort,
                peers: state.links.mapValues { link in
                    var status = link.status
                    status.queuedFrames = link.queue.count
                    return status
                },
                connectionsRefused: state.connectionsRefused,
                connectionsEvicted: state.connectionsEvicted,
                unverifiedConnections: state.unverified.count,
                connectionsClosedForBadFrames: state.connectionsClosedForBadFrames,
                framesDroppedUnknownPeer: state.framesDroppedUnknownPeer)
        }
    }

    /// Whether this node dials `peer` (the lower id dials), rather than waiting to be dialed.
    func dials(_ peer: TransportPeerID) -> Bool { localID < peer }

    /// Adds a link; returns what to dial if this node is the dialer.
    private func addLink(_ id: TransportPeerID, address: PeerAddress, in state: inout PeerTransportState) -> (
        TransportPeerID, UInt64
    )? {
        let generation = state.makeGeneration()
        state.links[id] = PeerLink(address: address, generation: generation, isDialer: dials(id), limits: limits)
        return dials(id) ? (id, generation) : nil
    }
}

public enum PeerTransportError: Error, Sendable {
    case noBoundPort
    case shutDown
}

/// Asks a connection's handler, on its event loop, to write queued frames.
struct PeerDrainRequest: Sendable {}

/// Asks an unverified connection's handler to close it quietly: it was evicted (already counted and
/// logged by the transport), so the errors of its closing are not a refusal.
struct PeerEvictionRequest: Sendable {}

/// What a rate-limited line is about; each kind has its own budget of lines per second.
package enum PeerWarningKind {
    /// Refused, evicted or broken connections: anyone who can reach the port can cause these.
    case connection
    /// Frames from a verified member that cannot be used.
    case frame
}
