import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Loopback source addresses for attackers: Linux routes all of 127/8 to `lo`, so a test's attackers come
/// from addresses other than the legitimate clients' 127.0.0.1 — as they would on the internet.
func attackerSources(_ count: Int) -> [String] {
    (0..<count).map { "127.0.0.\(2 + $0)" }
}

/// TLS connections from other loopback addresses that each send a request head announcing a body, and then
/// only its first byte: each holds an admission slot for as long as the member lets it.
final class SlowBodyAttack: Sendable {
    /// Connections whose handshakes run at once (below the member's handshake budget, so the attack does not
    /// evict its own handshakes).
    static let handshakeBatch = 100

    let channels: [any Channel]

    private init(channels: [any Channel]) {
        self.channels = channels
    }

    /// Opens `perSource` connections from each of `sources` to 127.0.0.1:`port` and completes their TLS
    /// handshakes (trusting `caCertificatePath`), then sends every head and first body byte at once.
    static func start(port: Int, caCertificatePath: String, sources: [String], perSource: Int, head: String)
        async throws -> SlowBodyAttack
    {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caCertificatePath)
        let context = try NIOSSLContext(configuration: tls)
        var channels: [any Channel] = []
        do {
            let targets = sources.flatMap { Array(repeating: $0, count: perSource) }
            for start in stride(from: 0, to: targets.count, by: handshakeBatch) {
                let batch = targets[start..<min(start + handshakeBatch, targets.count)]
                // Every connection of the batch is kept (and so closed below) even when another one failed.
                let opened = await withTaskGroup(of: Result<any Channel, any Error>.self) { group in
                    for source in batch {
                        group.addTask {
                            do {
                                return .success(try await handshaken(from: source, port: port, context: context))
                            } catch { return .failure(error) }
                        }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                for outcome in opened {
                    if case .success(let channel) = outcome { channels.append(channel) }
                }
                for case .failure(let error) in opened { throw error }
            }
            let bytes = ByteBuffer(string: head + "{")
            for channel in channels { channel.writeAndFlush(bytes, promise: nil) }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        return SlowBodyAttack(channels: channels)
    }

    /// Connections the member has not closed.
    var openCount: Int { channels.filter(\.isActive).count }

    func stop() async {
        for channel in channels { try? await channel.close() }
    }

    private static func handshaken(from source: String, port: Int, context: NIOSSLContext) async throws -> any Channel {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let handshake = eventLoop.makePromise(of: Void.self)
        let connecting = ClientBootstrap(group: eventLoop)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(HandshakeCompletion(promise: handshake))
                }
            }
            .connect(host: "127.0.0.1", port: port)
        // A promise must be completed (NIO checks): a failed connect fails it (a second completion is ignored).
        connecting.whenFailure { handshake.fail($0) }
        let channel = try await connecting.get()
        do {
            try await handshake.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        return channel
    }
}

/// Completes `promise` when the channel's TLS handshake completes, or fails it if the channel closes first;
/// drops whatever the member answers.
private final class HandshakeCompletion: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let promise: EventLoopPromise<Void>
    private var completed = false

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, !completed {
            completed = true
            promise.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func handlerRemoved(context: ChannelHandlerContext) {
        if !completed {
            completed = true
            promise.fail(ChannelError.ioOnClosedChannel)
        }
    }
}
