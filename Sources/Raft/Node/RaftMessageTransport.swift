import RaftCore

/// How a node exchanges Raft messages with its peers.
///
/// `send` never blocks and may drop (Raft retransmits whatever matters). `inbound` yields messages for this
/// node whose `from` the transport has authenticated — a peer can never speak for another.
///
/// `unreachablePeers` yields a peer whenever its connection is reset or refused — the signal that lets a
/// follower campaign at once when its leader's process dies, instead of waiting out the election timeout.
///
/// `updateMembers` tells the transport whom to talk to after a membership change: dial new members, forget
/// removed ones. A member without an entry in `addresses` is reached where the transport already knew.
public protocol RaftMessageTransport: Sendable {
    func send(_ messages: [Message])
    var inbound: AsyncStream<Message> { get }
    var unreachablePeers: AsyncStream<NodeID> { get }
    /// Bytes of bulk messages (appends, snapshot chunks) waiting to go to `peer`; a snapshot transfer
    /// pauses while this is high. A transport without send queues answers 0; one with no link to `peer`
    /// answers `Int.max` (the transfer waits for a link rather than reading its file into dropped sends).
    func queuedBulkBytes(to peer: NodeID) -> Int
    /// Points the transport at the members a node must talk to (this node left out), with their addresses.
    func updateMembers(_ members: [NodeID], addresses: [NodeID: MemberAddresses])
}

extension RaftMessageTransport {
    /// Transports whose peers are fixed (in-process test networks reach every node) ignore membership.
    public func updateMembers(_ members: [NodeID], addresses: [NodeID: MemberAddresses]) {}
}
