import Logging
import RaftNode
import Storage

extension KeyClusterServer {
    /// The gate that keeps this member's Raft messages within its cluster, with the id it starts from: the
    /// stored one; on the first start of a bootstrapping member, the id derived from the configuration (and
    /// stored); otherwise none yet — a joining member, or a data directory from before ids existed, adopts
    /// the id of the first member it hears from.
    func clusterGate(environment: Environment) throws -> ClusterIDGate {
        let store = try LMDBLogStore(environment: environment)
        var id = try store.clusterID()
        if id == nil, !configuration.isJoining, try store.lastIndex() == 0, try store.hardState() == .initial {
            let derived = try ClusterIDDerivation.bootstrap(configuration)
            try store.setClusterID(derived)
            id = derived
            logger.notice("bootstrapping cluster \(derived)")
        }
        if let id {
            logger.info("member of cluster \(id)")
        } else {
            logger.notice("no cluster id yet: adopting the cluster's from the first member heard")
        }
        return ClusterIDGate(clusterID: id) { adopted in try store.setClusterID(adopted) }
    }
}
