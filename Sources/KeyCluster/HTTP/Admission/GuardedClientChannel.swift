import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// The client port's connections: TLS, then a `ConnectionGateHandler` (connection budgets and the handshake
/// deadline), then HTTP/1.1 with a `RequestDeadlineHandler` (head and body deadlines) and the idle timeout.
struct GuardedClientChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let table: ClientConnectionTable

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGateHandler(
                    table: table, handshakeTimeout: .milliseconds(Int64(table.limits.handshakeTimeoutMilliseconds))))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 over TLS with every connection limit and deadline of `table.limits` (see `AdmissionLimits`).
    static func guardedTLS(tlsConfiguration: TLSConfiguration, table: ClientConnectionTable) -> HTTPServerBuilder {
        let limits = table.limits
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                RequestDeadlineHandler(
                    headerTimeout: .milliseconds(Int64(limits.headerTimeoutMilliseconds)),
                    bodyTimeout: .milliseconds(Int64(limits.bodyTimeoutMilliseconds)), table: table)
            ],
            idleTimeout: .milliseconds(Int64(limits.idleTimeoutMilliseconds)))
        return HTTPServerBuilder { responder in
            try TLSChannel(
                GuardedClientChannel(base: HTTP1Channel(responder: responder, configuration: http), table: table),
                tlsConfiguration: tlsConfiguration)
        }
    }
}
