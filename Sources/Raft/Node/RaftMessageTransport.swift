/// How a node exchanges Raft messages with its peers.
///
/// `send` never blocks and may drop (Raft retransmits whatever matters). `inbound` yields messages for this
/// node whose `from` the transport has authenticated — a peer can never speak for another.
public protocol RaftMessageTransport: Sendable {
    func send(_ messages: [Message])
    var inbound: AsyncStream<Message> { get }
}
