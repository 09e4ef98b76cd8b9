import RaftCore
import RaftNode
import Synchronization

/// An in-process network for node runtime tests: delivers each message to its addressee's inbound stream,
/// unless a test has cut the link. Real transports are tested separately; this one isolates the runtime.
final class LocalNetwork: Sendable {
    private struct State {
        var inboxes: [NodeID: AsyncStream<Message>.Continuation] = [:]
        /// Links (from, to) that drop everything.
        var cut: Set<[NodeID]> = []
        /// Extra messages a test delivers after each one (forged stale traffic, for instance).
        var addAfter: (@Sendable (Message) -> [Message])?
    }

    private let state = Mutex(State())

    /// The transport a node with `id` uses. A node attached again (after a restart) replaces its inbox.
    func attach(_ id: NodeID) -> LocalTransport {
        let (stream, continuation) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .bufferingNewest(4_096))
        state.withLock {
            $0.inboxes[id]?.finish()
            $0.inboxes[id] = continuation
        }
        return LocalTransport(network: self, inbound: stream)
    }

    func detach(_ id: NodeID) {
        state.withLock { $0.inboxes.removeValue(forKey: id)?.finish() }
    }

    /// Cuts both directions between `node` and every other node.
    func isolate(_ node: NodeID, from others: [NodeID]) {
        state.withLock { state in
            for other in others where other != node {
                state.cut.insert([node, other])
                state.cut.insert([other, node])
            }
        }
    }

    /// After each delivered message, also delivers what `extra` returns for it (ignoring cuts).
    func addAfterEachMessage(_ extra: @escaping @Sendable (Message) -> [Message]) {
        state.withLock { $0.addAfter = extra }
    }

    func heal() {
        state.withLock { $0.cut.removeAll() }
    }

    fileprivate func deliver(_ messages: [Message]) {
        state.withLock { state in
            for message in messages where !state.cut.contains([message.from, message.to]) {
                state.inboxes[message.to]?.yield(message)
                for extra in state.addAfter?(message) ?? [] { state.inboxes[extra.to]?.yield(extra) }
            }
        }
    }
}

struct LocalTransport: RaftMessageTransport {
    let network: LocalNetwork
    let inbound: AsyncStream<Message>
    /// The in-process network has no connections to lose; failover is driven by timeouts here.
    let unreachablePeers = AsyncStream<NodeID> { $0.finish() }

    func send(_ messages: [Message]) {
        network.deliver(messages)
    }

    /// Delivery is immediate: nothing ever waits in a queue.
    func queuedBulkBytes(to peer: NodeID) -> Int { 0 }
}
