/// How a node exchanges Raft messages with its peers.
///
/// `send` never blocks and may drop (Raft retransmits whatever matters). `inbound` yields messages for this
/// node whose `from` the transport has authenticated — a peer can never speak for another.
///
/// `unreachablePeers` yields a peer whenever its connection is reset or refused — the signal that lets a
/// follower campaign at once when its leader's process dies, instead of waiting out the election timeout.
public protocol RaftMessageTransport: Sendable {
    func send(_ messages: [Message])
    var inbound: AsyncStream<Message> { get }
    var unreachablePeers: AsyncStream<NodeID> { get }
    /// Bytes of bulk messages (appends, snapshot chunks) waiting to go to `peer`; a snapshot transfer
    /// pauses while this is high. A transport without send queues answers 0.
    func queuedBulkBytes(to peer: NodeID) -> Int
}
