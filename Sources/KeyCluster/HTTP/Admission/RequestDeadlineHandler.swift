import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Deadlines on reading each request of a client connection, after HTTP decoding: a request head must be
/// complete within `headerTimeout` of its first bytes, and its body within `bodyTimeout` of the head. A late
/// request is answered 408 with a problem document (when no answer has begun) and the connection is closed,
/// which ends the request's handler and so frees its admission slot. Time spent answering is not counted:
/// the head deadline starts only when bytes of a next request arrive, so an idle keep-alive connection is
/// left to the idle timeout. One per connection.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Reading {
        /// Between requests: the next bytes start a head.
        case awaitingHead
        /// A head came; its body (possibly empty) has not ended.
        case body
    }

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let table: ClientConnectionTable
    private var reading = Reading.awaitingHead
    /// Whether the current read delivered a request part; a read that delivered none while awaiting a head
    /// carried the first bytes of one (or, on a new connection, the end of the TLS handshake).
    private var deliveredPartThisRead = false
    /// Requests whose answer has not ended, and whether one answer is partly written.
    private var unanswered = 0
    private var answering = false
    private var deadline: Scheduled<Void>?

    init(headerTimeout: TimeAmount, bodyTimeout: TimeAmount, table: ClientConnectionTable) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.table = table
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deliveredPartThisRead = true
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            reading = .body
            arm(.bodyTimeout, context: context)
        case .body:
            break
        case .end:
            reading = .awaitingHead
            disarm()
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if reading == .awaitingHead, !deliveredPartThisRead, deadline == nil { arm(.headerTimeout, context: context) }
        deliveredPartThisRead = false
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational: answering = true
        case .end:
            answering = false
            unanswered -= 1
        case .head, .body: break
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    private func arm(_ reason: ClientConnectionTable.CloseReason, context: ChannelHandlerContext) {
        disarm()
        let timeout = reason == .headerTimeout ? headerTimeout : bodyTimeout
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            deadline = nil
            expire(reason, context: context)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }

    /// Answers 408 if the late request is the only one unanswered and no answer has begun, then closes.
    private func expire(_ reason: ClientConnectionTable.CloseReason, context: ChannelHandlerContext) {
        table.record(reason)
        let lateRequests = reason == .headerTimeout ? 0 : 1
        if unanswered == lateRequests, !answering {
            let part = reason == .headerTimeout ? "head" : "body"
            let problem = Problem(
                "request-timeout", status: .requestTimeout, title: "The request \(part) did not arrive in time",
                detail:
                    "A request \(part) must arrive within \((reason == .headerTimeout ? headerTimeout : bodyTimeout).nanoseconds / 1_000_000) ms."
            )
            if let body = try? problem.encodedBody() {
                var headers = problem.headers
                headers[.connection] = "close"
                headers[.contentLength] = "\(body.readableBytes)"
                context.write(
                    wrapOutboundOut(.head(HTTPResponse(status: .requestTimeout, headerFields: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(body)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
        context.close(promise: nil)
    }
}
