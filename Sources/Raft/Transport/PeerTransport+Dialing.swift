import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Making connections: the listener, dials to higher-id peers, and redials with backoff.
extension PeerTransport {
    func makeServerBootstrap() -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: writeBufferWaterMark)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try setSocketOptions(channel)
                    try configurePipeline(
                        channel.pipeline.syncOperations, tls: NIOSSLServerHandler(context: tls.server), side: .acceptor)
                }
            }
    }

    /// Dials `peer` for link generation `generation`; on failure, or when the connection later closes,
    /// schedules a redial.
    func dial(_ peer: TransportPeerID, generation: UInt64) {
        let address = state.withLock { state -> PeerAddress? in
            guard state.isRunning, let link = state.links[peer], link.generation == generation else { return nil }
            return link.address
        }
        guard let address else { return }
        ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(limits.connectTimeoutMilliseconds)))
            .channelOption(.writeBufferWaterMark, value: writeBufferWaterMark)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try setSocketOptions(channel)
                    try configurePipeline(
                        channel.pipeline.syncOperations,
                        tls: NIOSSLClientHandler(context: tls.client, serverHostname: nil),
                        side: .dialer(expected: peer, generation: generation))
                }
            }
            .connect(host: address.host, port: address.port)
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    channel.closeFuture.whenComplete { _ in self.scheduleRedial(peer, generation: generation) }
                case .failure(let error):
                    logger.debug(
                        "dial failed", metadata: ["peer": "\(peer)", "address": "\(address)", "error": "\(error)"])
                    scheduleRedial(peer, generation: generation)
                }
            }
    }

    /// Schedules the next dial after a jittered, growing delay, unless one is pending or the link changed.
    private func scheduleRedial(_ peer: TransportPeerID, generation: UInt64) {
        state.withLock { state in
            guard state.isRunning else { return }
            _ = state.withLink(peer) { link in
                guard link.generation == generation, link.reconnect == nil else { return }
                var generator = SystemRandomNumberGenerator()
                let delay = backoff.delayMilliseconds(attempt: link.dialAttempt, using: &generator)
                link.dialAttempt += 1
                // Scheduling does not call back inline, so doing it under the lock cannot deadlock.
                link.reconnect = group.any().scheduleTask(in: .milliseconds(Int64(delay))) { [self] in
                    self.state.withLock { state in
                        _ = state.withLink(peer) { link in
                            if link.generation == generation { link.reconnect = nil }
                        }
                    }
                    dial(peer, generation: generation)
                }
            }
        }
    }

    /// TCP options of every peer connection, both sides (see `PeerTransportLimits` for why each).
    private var socketOptions: [(ChannelOptions.Types.SocketOption, Int)] {
        func tcp(_ name: Int32) -> ChannelOptions.Types.SocketOption {
            ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(name)))
        }
        var options: [(ChannelOptions.Types.SocketOption, Int)] = [
            (.socketOption(.so_keepalive), 1),
            (.socketOption(.tcp_nodelay), 1),
            (tcp(TCP_NOTSENT_LOWAT), limits.socketUnsentLowWaterMarkBytes),
        ]
        #if os(Linux)
            let keepaliveIdleSeconds = limits.deadPeerTimeoutMilliseconds / 2_000
            let keepaliveProbeIntervalSeconds = 1
            options += [
                (tcp(TCP_KEEPIDLE), keepaliveIdleSeconds),
                (tcp(TCP_KEEPINTVL), keepaliveProbeIntervalSeconds),
                (
                    tcp(TCP_KEEPCNT),
                    (limits.deadPeerTimeoutMilliseconds / 1_000 - keepaliveIdleSeconds) / keepaliveProbeIntervalSeconds
                ),
                (tcp(TCP_USER_TIMEOUT), limits.deadPeerTimeoutMilliseconds),
            ]
        #endif
        return options
    }

    /// Sets `socketOptions` on a new channel, on its event loop (from a channel initializer).
    private func setSocketOptions(_ channel: Channel) throws {
        for (option, value) in socketOptions {
            try channel.syncOptions?.setOption(option, value: SocketOptionValue(value))
        }
    }

    private var writeBufferWaterMark: ChannelOptions.Types.WriteBufferWaterMark {
        let high = limits.writeBufferHighWaterMarkBytes
        return .init(low: high / 2, high: high)
    }

    /// TLS, then frame decoding, then the connection handler — the same for both sides. The decoder's
    /// buffer bound is a second line of defence: the decoder already refuses any length over the bound.
    private func configurePipeline(
        _ pipeline: ChannelPipeline.SynchronousOperations, tls: some ChannelHandler & RemovableChannelHandler,
        side: PeerConnectionHandler.Side
    ) throws {
        if case .acceptor = side { try pipeline.addHandler(PeerFirstBytesObserver(transport: self)) }
        try pipeline.addHandler(tls)
        try pipeline.addHandler(
            ByteToMessageHandler(
                PeerFrameDecoder(maxFrameBytes: limits.maxFrameBytes),
                maximumBufferSize: limits.maxFrameBytes + PeerFrameFormat.lengthPrefixBytes))
        try pipeline.addHandler(PeerConnectionHandler(transport: self, side: side, logger: logger))
    }
}
