import NIOCore
import NIOTLS

/// The first stage of a client connection, right behind the TLS handler: registers it in the member's
/// `ClientConnectionTable` (which may refuse it, or close an older handshaking one), closes it if its TLS
/// handshake has not completed within `handshakeTimeout`, and moves it to the established connections when
/// the handshake completes. One per connection.
final class ConnectionGateHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Stage {
        case notOpened
        case handshaking(ClientConnectionTable.Ticket, deadline: Scheduled<Void>)
        case established(ClientConnectionTable.Ticket)
        case closed
    }

    private let table: ClientConnectionTable
    private let handshakeTimeout: TimeAmount
    private var stage = Stage.notOpened

    init(table: ClientConnectionTable, handshakeTimeout: TimeAmount) {
        self.table = table
        self.handshakeTimeout = handshakeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { open(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        open(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, case .handshaking(let ticket, let deadline) = stage {
            deadline.cancel()
            stage = .established(ticket)
            guard table.handshakeCompleted(ticket) else {
                context.close(promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func open(_ context: ChannelHandlerContext) {
        guard case .notOpened = stage else { return }
        let channel = context.channel
        switch table.open(from: SourceAddress.of(channel), close: { channel.close(promise: nil) }) {
        case .refused:
            stage = .closed
            context.close(promise: nil)
        case .admitted(let ticket, let evicted):
            let deadline = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) { [table] in
                table.record(.handshakeTimeout)
                context.close(promise: nil)
            }
            stage = .handshaking(ticket, deadline: deadline)
            evicted?()
        }
    }

    private func release() {
        switch stage {
        case .handshaking(let ticket, let deadline):
            deadline.cancel()
            table.closed(ticket)
        case .established(let ticket):
            table.closed(ticket)
        case .notOpened, .closed:
            break
        }
        stage = .closed
    }
}
