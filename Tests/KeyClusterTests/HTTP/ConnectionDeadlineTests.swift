import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import NIOTLS
import Synchronization
import Testing

@testable import KeyCluster

/// The client port's connection budgets and deadlines, on NIO's embedded channel (its clock moves only when
/// told, so every deadline is checked to the millisecond without waiting).
@Suite("Client connection budgets and deadlines")
struct ConnectionDeadlineTests {
    static let limits = AdmissionLimits(
        maxConnections: 2, maxHandshakingConnections: 2, maxConnectionsPerSource: 3,
        handshakeTimeoutMilliseconds: 500, headerTimeoutMilliseconds: 300, bodyTimeoutMilliseconds: 700)
    static let millisecond = TimeAmount.milliseconds(1)

    /// A connected embedded channel from `source` with a connection gate, as the client port has.
    func gatedChannel(_ table: ClientConnectionTable, from source: String = "127.0.0.2") throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(
            handler: ConnectionGateHandler(
                table: table, handshakeTimeout: .milliseconds(Int64(Self.limits.handshakeTimeoutMilliseconds))))
        try channel.connect(to: SocketAddress(ipAddress: source, port: 40_000)).wait()
        return channel
    }

    func completeHandshake(_ channel: EmbeddedChannel) {
        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
    }

    @Test("a connection whose handshake has not completed at the handshake deadline is closed, and frees its slot")
    func handshakeDeadline() throws {
        let table = ClientConnectionTable(limits: Self.limits, registry: .init())
        let silent = try gatedChannel(table)
        silent.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        #expect(silent.isActive)
        silent.embeddedEventLoop.advanceTime(by: Self.millisecond)
        #expect(!silent.isActive, "closed at 500 ms")
        #expect(table.counts(from: "127.0.0.2") == (0, 0, 0))

        let prompt = try gatedChannel(table)
        completeHandshake(prompt)
        prompt.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(prompt.isActive, "a completed handshake has no deadline")
        #expect(table.counts(from: "127.0.0.2") == (0, 1, 1))
        _ = try prompt.finish(acceptAlreadyClosed: true)
        #expect(table.counts(from: "127.0.0.2") == (0, 0, 0))
    }

    @Test(
        "connections count toward maxConnections only once handshaken; the oldest handshake makes room; per-source cap")
    func connectionBudgets() throws {
        let table = ClientConnectionTable(limits: Self.limits, registry: .init())
        let closer = ClosedList()
        func open(_ index: Int, from source: String) -> ClientConnectionTable.Ticket? {
            switch table.open(from: source, close: { closer.append(index) }) {
            case .refused: return nil
            case .admitted(let ticket, let evicted):
                evicted?()
                return ticket
            }
        }
        // Three silent connections from three sources: the third takes the oldest's handshake slot.
        let silent = (0..<3).compactMap { open($0, from: "10.0.0.\($0)") }
        #expect(silent.count == 3)
        #expect(closer.values == [0], "the oldest handshaking connection was closed to make room")
        #expect(!table.handshakeCompleted(silent[0]), "an evicted connection may not complete later")
        #expect(table.counts(from: "10.0.0.1").handshaking == 2)
        for ticket in silent { table.closed(ticket) }

        // Established connections: at most maxConnections, whatever is handshaking.
        let established = [open(10, from: "10.0.1.1"), open(11, from: "10.0.1.2")].compactMap { $0 }
        #expect(established.count == 2 && established.allSatisfy { table.handshakeCompleted($0) })
        let third = try #require(open(12, from: "10.0.1.3"))
        #expect(
            table.counts(from: "10.0.1.3") == (1, 2, 1), "a handshaking connection does not count toward maxConnections"
        )
        #expect(!table.handshakeCompleted(third), "a handshake completing beyond maxConnections is closed")
        for ticket in established + [third] { table.closed(ticket) }
        #expect(table.counts(from: "10.0.1.1") == (0, 0, 0))

        // Per source: maxConnectionsPerSource at once, handshaking or not; another source is not affected.
        let mine = (0..<3).compactMap { open(20 + $0, from: "10.0.2.1") }
        for ticket in mine { _ = table.handshakeCompleted(ticket) }
        #expect(mine.count == 3)
        #expect(open(30, from: "10.0.2.1") == nil, "the fourth connection from one address is refused")
        let other = open(31, from: "10.0.2.2")
        #expect(other != nil)
        table.closed(mine[0])
        #expect(open(32, from: "10.0.2.1") != nil, "a closed connection frees its source's slot")
    }

    /// A connected embedded channel with request deadlines (the 408 is written into its outbound buffer).
    func deadlineChannel() throws -> EmbeddedChannel {
        let table = ClientConnectionTable(limits: Self.limits, registry: .init())
        let channel = EmbeddedChannel(
            handler: RequestDeadlineHandler(
                headerTimeout: .milliseconds(300), bodyTimeout: .milliseconds(700), table: table))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.2", port: 40_000)).wait()
        return channel
    }

    /// Delivers request parts as one read.
    func read(_ channel: EmbeddedChannel, _ parts: HTTPRequestPart...) throws {
        for part in parts { channel.pipeline.fireChannelRead(part) }
        channel.pipeline.fireChannelReadComplete()
        while try channel.readInbound(as: HTTPRequestPart.self) != nil {}
    }

    /// Writes a whole answer, as the router does.
    func answer(_ channel: EmbeddedChannel, _ status: HTTPResponse.Status = .ok) throws {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: status)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        while try channel.readOutbound(as: HTTPResponsePart.self) != nil {}
    }

    /// The status of the answer the handler wrote itself, if any.
    func writtenStatus(_ channel: EmbeddedChannel) throws -> HTTPResponse.Status? {
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self) else { return nil }
        return head.status
    }

    static let unlockHead = HTTPRequest(
        method: .post, scheme: nil, authority: "localhost", path: "/v1/vehicles/WVWZZZ1JZXW000001/commands")

    @Test("a head whose first bytes came must be complete within the header deadline: else 408 and close")
    func headerDeadline() throws {
        let channel = try deadlineChannel()
        channel.pipeline.fireChannelReadComplete()  // bytes that did not yet make a head
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(299))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: Self.millisecond)
        #expect(try writtenStatus(channel) == .requestTimeout)
        #expect(!channel.isActive)
    }

    @Test("an idle keep-alive connection after its answer has no header deadline (the idle timeout is for it)")
    func idleAfterAnswer() throws {
        let channel = try deadlineChannel()
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        try read(
            channel, .head(HTTPRequest(method: .get, scheme: nil, authority: "localhost", path: "/healthz")), .end(nil))
        try answer(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(channel.isActive)
        // The next request's bytes start a new header deadline.
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(300))
        #expect(!channel.isActive)
    }

    @Test("a body must be complete within the body deadline of its head: else 408 and close; in time, nothing happens")
    func bodyDeadline() throws {
        let slow = try deadlineChannel()
        try read(slow, .head(Self.unlockHead), .body(ByteBuffer(string: "{")))
        slow.embeddedEventLoop.advanceTime(by: .milliseconds(699))
        try read(slow, .body(ByteBuffer(string: " ")))
        #expect(slow.isActive, "bytes that come do not extend the deadline, but it has not passed")
        slow.embeddedEventLoop.advanceTime(by: Self.millisecond)
        #expect(try writtenStatus(slow) == .requestTimeout)
        #expect(!slow.isActive)

        let prompt = try deadlineChannel()
        try read(prompt, .head(Self.unlockHead), .body(ByteBuffer(string: "{")))
        prompt.embeddedEventLoop.advanceTime(by: .milliseconds(600))
        try read(prompt, .body(ByteBuffer(string: "}")), .end(nil))
        prompt.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(prompt.isActive, "time spent answering is not the client's")
    }

    @Test("a late body after its answer began (an early 429) closes without a second answer")
    func bodyDeadlineAfterAnswerBegan() throws {
        let channel = try deadlineChannel()
        try read(channel, .head(Self.unlockHead), .body(ByteBuffer(string: "{")))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .tooManyRequests)))
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(700))
        #expect(!channel.isActive)
        #expect(try writtenStatus(channel) == nil)
    }
}

/// Indices of connections closed through the table's close callbacks.
final class ClosedList: Sendable {
    private let list = Mutex<[Int]>([])
    func append(_ index: Int) { list.withLock { $0.append(index) } }
    var values: [Int] { list.withLock { $0 } }
}
