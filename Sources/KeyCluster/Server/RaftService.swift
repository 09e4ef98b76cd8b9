import Raft
import ServiceLifecycle

/// Runs the peer transport and the Raft node as one lifecycle service: started together, and on graceful
/// shutdown the node stops first (its in-flight writes finish) and then the links close.
struct RaftService: Service {
    let node: RaftNode
    let transport: PeerTransport

    func run() async throws {
        try await transport.start()
        await node.start()
        try? await gracefulShutdown()
        await node.stop()
        await transport.shutdown()
    }
}
