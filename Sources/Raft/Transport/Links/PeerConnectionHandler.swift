import ClusterIdentity
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// The last handler of a peer connection: checks who the peer is once TLS is up, then moves frames
/// between the connection and the transport.
///
/// States: waiting for the handshake (nothing is read or written; a timer closes the connection if the
/// handshake and identity check do not finish in time) → verified (frames flow) → closed.
final class PeerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = [UInt8]
    typealias OutboundOut = ByteBuffer

    enum Side {
        /// This node dialed `expected`; the server's certificate must name it.
        case dialer(expected: TransportPeerID, generation: UInt64)
        /// A peer dialed this node; its certificate names it, and it must be a configured lower-id peer.
        case acceptor
    }

    private let transport: PeerTransport
    private let side: Side
    /// Carries the remote address, and the peer id once verified, as metadata on every line.
    private var logger: Logger
    private var peer: TransportPeerID?
    private var handshakeTimeout: Scheduled<Void>?
    /// Set when this handler first decides to close (refusal or error), so that the errors a closing
    /// connection raises on its way down are neither counted nor logged a second time.
    private var isClosing = false
    /// Bytes written since the last flush; flushing every half high-water mark lets the channel's
    /// writability reflect what is really pending, so the drain stops early and control frames wait little.
    private var unflushedBytes = 0

    init(transport: PeerTransport, side: Side, logger: Logger) {
        self.transport = transport
        self.side = side
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        logger[metadataKey: "remote"] = "\(context.remoteAddress.map { "\($0)" } ?? "?")"
        let source: PeerConnectionSource? =
            switch side {
            case .acceptor: PeerConnectionSource(context.remoteAddress)
            case .dialer: nil
            }
        if let refusal = transport.registerOpenChannel(context.channel, inboundFrom: source, logger: logger) {
            return refuse(context.channel, refusal)
        }
        // The timer runs on this channel's event loop, where the handler lives, so it may touch it.
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let channel = context.channel
        handshakeTimeout = context.eventLoop.scheduleTask(
            in: .milliseconds(Int64(transport.limits.handshakeTimeoutMilliseconds))
        ) {
            handler.value.refuse(
                channel, "refusing connection: TLS handshake and identity check did not finish in time")
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        handshakeTimeout = nil
        if peer != nil { logger.info("peer connection closed") }
        transport.connectionClosed(context.channel, peer: peer)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case TLSUserEvent.handshakeCompleted:
            verifyPeer(context: context)
        case is PeerDrainRequest:
            drain(context: context)
        case is PeerEvictionRequest:
            guard !isClosing, peer == nil else { return }
            isClosing = true
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let peer else {
            // NIOSSL completes the handshake before any application data; this is defensive.
            return refuse(context.channel, "closing connection: data before the peer was verified")
        }
        transport.deliver(from: peer, payload: Self.unwrapInboundIn(data))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drain(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !isClosing else { return }
        // Before verification only TLS can fail: frames are decoded from data that follows the handshake.
        if peer == nil {
            return refuse(context.channel, "refusing connection: TLS failed", metadata: ["error": "\(error)"])
        }
        isClosing = true
        if let frameError = error as? PeerFrameError {
            transport.countBadFrames()
            transport.warnRateLimited(
                .frame, logger, "closing connection: malformed frame", metadata: ["error": "\(frameError)"])
        } else if error is ByteToMessageDecoderError {
            transport.countBadFrames()
            transport.warnRateLimited(
                .frame, logger, "closing connection: frame stream error", metadata: ["error": "\(error)"])
        } else {
            transport.warnRateLimited(
                .connection, logger, "closing connection on error", metadata: ["error": "\(error)"], level: .info)
        }
        context.close(promise: nil)
    }

    private func verifyPeer(context: ChannelHandlerContext) {
        let claimed: TransportPeerID
        do {
            guard let certificate = try context.pipeline.syncOperations.nioSSL_peerCertificate() else {
                return refuse(context: context, reason: "peer presented no certificate")
            }
            claimed = try ClusterIdentity.nodeID(inDER: try certificate.toDERBytes())
        } catch {
            return refuse(context: context, reason: "\(error)")
        }
        let dialGeneration: UInt64?
        switch side {
        case .dialer(let expected, let generation):
            guard claimed == expected else {
                return refuse(
                    context: context, reason: "dialed node \(expected) but its certificate names node \(claimed)")
            }
            dialGeneration = generation
        case .acceptor:
            if let refusal = transport.inboundRefusal(from: claimed) {
                return refuse(context: context, reason: refusal)
            }
            dialGeneration = nil
        }
        guard transport.connectionVerified(peer: claimed, channel: context.channel, dialGeneration: dialGeneration)
        else {
            logger.info(
                "closing connection no longer wanted (peer removed, reconfigured or shutting down)",
                metadata: ["peer": "\(claimed)"])
            context.close(promise: nil)
            return
        }
        handshakeTimeout?.cancel()
        handshakeTimeout = nil
        peer = claimed
        logger[metadataKey: "peer"] = "\(claimed)"
        logger.info("peer connection verified")
        drain(context: context)
    }

    private func refuse(context: ChannelHandlerContext, reason: String) {
        refuse(context.channel, "refusing peer connection: identity check failed", metadata: ["reason": "\(reason)"])
    }

    /// Counts, logs (rate-limited) and closes a connection that is not a valid peer link — once.
    private func refuse(_ channel: Channel, _ message: Logger.Message, metadata: Logger.Metadata = [:]) {
        guard !isClosing else { return }
        isClosing = true
        transport.countRefusedConnection()
        transport.warnRateLimited(.connection, logger, message, metadata: metadata)
        channel.close(promise: nil)
    }

    /// Writes queued frames while the channel is writable.
    private func drain(context: ChannelHandlerContext) {
        guard let peer else { return }
        let flushThresholdBytes = transport.limits.writeBufferHighWaterMarkBytes / 2
        while true {
            guard context.channel.isWritable else {
                transport.drainPaused(peer: peer, channel: context.channel)
                break
            }
            guard let frame = transport.nextOutboundFrame(peer: peer, channel: context.channel) else { break }
            unflushedBytes += frame.readableBytes
            context.write(Self.wrapOutboundOut(frame), promise: nil)
            if unflushedBytes >= flushThresholdBytes {
                unflushedBytes = 0
                context.flush()
            }
        }
        if unflushedBytes > 0 {
            unflushedBytes = 0
            context.flush()
        }
    }
}

/// First handler of an accepted connection: tells the transport when the connection first sends bytes. A
/// member's dial sends its ClientHello as soon as it connects; an idle stranger sends nothing, and only
/// silent connections are evicted to make room (`PeerConnectionAdmission`).
final class PeerFirstBytesObserver: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let transport: PeerTransport
    private var hasSpoken = false

    init(transport: PeerTransport) {
        self.transport = transport
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !hasSpoken {
            hasSpoken = true
            transport.inboundConnectionSpoke(context.channel)
        }
        context.fireChannelRead(data)
    }
}
