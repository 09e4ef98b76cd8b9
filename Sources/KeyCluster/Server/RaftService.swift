import Raft
import ServiceLifecycle

/// Runs the peer transport and the Raft node as one lifecycle service: started together, and on graceful
/// shutdown the node stops first (its in-flight writes finish) and then the links close.
struct RaftService: Service {
    let node: RaftNode
    let transport: PeerTransport
    let metrics: NodeMetrics

    func run() async throws {
        try await transport.start()
        await node.start()
        // Refreshes the Raft, storage and peer-port gauges until shutdown begins.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await metrics.refresh(from: node, transport: transport)
                try? await Task.sleep(for: NodeMetrics.refreshInterval)
            }
        }
        await node.stop()
        await transport.shutdown()
    }
}
