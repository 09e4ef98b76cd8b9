import RaftNode
import RaftTransport
import ServiceLifecycle

/// Runs the peer transport and the Raft node as one lifecycle service: started together, and on graceful
/// shutdown the node stops first (its in-flight writes finish) and then the links close.
struct RaftService: Service {
    let node: RaftNode
    let transport: PeerTransport
    let metrics: NodeMetrics
    let storage: StorageGuard
    let signer: SigningCredential
    let clusterGate: ClusterIDGate

    func run() async throws {
        try await transport.start()
        await node.start()
        // Refreshes the Raft, storage and peer-port gauges, keeps the storage bounds and picks up renewed token-signing
        // certificates, until shutdown begins — or until most other members turn out to be another cluster's,
        // which stops this member with the reason (its data is not theirs; serving it would mislead clients).
        var failure: (any Error)?
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { await storage.run() }
                    group.addTask { await signer.run() }
                    group.addTask {
                        if let report = await clusterGate.foreignMajority() { throw report }
                    }
                    // A child that throws cancels the group, not this body: both are checked.
                    while !Task.isCancelled && !group.isCancelled {
                        await metrics.refresh(from: node, transport: transport, clusterGate: clusterGate)
                        try? await Task.sleep(for: NodeMetrics.refreshInterval)
                    }
                    group.cancelAll()
                }
            }
        } catch {
            failure = error
        }
        await node.stop()
        await transport.shutdown()
        if let failure { throw failure }
    }
}
