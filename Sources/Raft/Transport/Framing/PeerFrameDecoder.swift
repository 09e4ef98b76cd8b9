import NIOCore

/// Splits a peer's byte stream into frame payloads (see `PeerFrameFormat`).
///
/// A malformed frame throws, which NIO delivers to `errorCaught` of the connection handler; that handler
/// logs it and closes the connection. `ByteToMessageHandler` is also given a maximum buffer size so the
/// cumulation buffer can never grow past one frame plus one read.
struct PeerFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = [UInt8]

    let maxFrameBytes: Int

    init(maxFrameBytes: Int) {
        precondition(maxFrameBytes >= 1, "frame bound must allow the version byte")
        self.maxFrameBytes = maxFrameBytes
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let payload = try PeerFrameFormat.decode(from: &buffer, maxFrameBytes: maxFrameBytes) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(payload))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // Complete frames still buffered at EOF are delivered; a trailing partial frame is discarded.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
