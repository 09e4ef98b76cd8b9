import Raft
import ServiceLifecycle

/// Runs the peer transport and the Raft node as one lifecycle service: started together, and on graceful
/// shutdown the node stops first (its in-flight writes finish) and then the links close.
struct RaftService: Service {
    let node: RaftNode
    let transport: PeerTransport
    let metrics: NodeMetrics
    let storage: StorageGuard
    let signer: SigningCredential

    func run() async throws {
        try await transport.start()
        await node.start()
        // Refreshes the Raft and storage gauges, keeps the storage bounds and picks up renewed token-signing
        // certificates, until shutdown begins.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await storage.run() }
                group.addTask { await signer.run() }
                while !Task.isCancelled {
                    await metrics.refresh(from: node)
                    try? await Task.sleep(for: NodeMetrics.refreshInterval)
                }
                group.cancelAll()
            }
        }
        await node.stop()
        await transport.shutdown()
    }
}
