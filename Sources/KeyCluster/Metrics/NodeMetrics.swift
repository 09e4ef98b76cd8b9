import Prometheus
import Raft

/// The Raft and storage figures an operator watches, as Prometheus metrics: term, role, commit and apply
/// progress (and their lag), proposals waiting, storage commits and the time spent in them (fsync), and the
/// peer port's admission of connections not yet verified (design §9).
/// HTTP request rates and latencies by route and status come from Hummingbird's `MetricsMiddleware`.
struct NodeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let term: Gauge
    private let isLeader: Gauge
    private let commitIndex: Gauge
    private let appliedIndex: Gauge
    private let applyLag: Gauge
    private let pendingProposals: Gauge
    private let storageCommits: Gauge
    private let storageWrites: Gauge
    private let storageCommitSeconds: Gauge
    private let snapshotIndex: Gauge
    private let snapshotsTaken: Gauge
    private let snapshotsInstalled: Gauge
    private let snapshotsSent: Gauge
    private let foreignClusterFrames: Gauge
    private let peerUnverifiedConnections: Gauge
    private let peerConnectionsRefused: Gauge
    private let peerConnectionsEvicted: Gauge

    /// How often the gauges are refreshed from the node.
    static let refreshInterval: Duration = .seconds(1)

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        term = registry.makeGauge(name: "keycluster_raft_term", help: "Current Raft term")
        isLeader = registry.makeGauge(name: "keycluster_raft_is_leader", help: "1 when this member leads")
        commitIndex = registry.makeGauge(name: "keycluster_raft_commit_index", help: "Highest log index known committed")
        appliedIndex = registry.makeGauge(name: "keycluster_raft_applied_index", help: "Highest log index applied durably")
        applyLag = registry.makeGauge(name: "keycluster_raft_apply_lag_entries", help: "Committed entries not yet applied")
        pendingProposals = registry.makeGauge(name: "keycluster_raft_pending_proposals", help: "Proposals waiting for their result")
        storageCommits = registry.makeGauge(name: "keycluster_storage_commits_total", help: "Durable LMDB commits (one fsync each)")
        storageWrites = registry.makeGauge(name: "keycluster_storage_writes_total", help: "Writes committed (many per commit)")
        storageCommitSeconds = registry.makeGauge(name: "keycluster_storage_commit_seconds_total", help: "Time spent in durable commits")
        snapshotIndex = registry.makeGauge(name: "keycluster_raft_snapshot_index", help: "Index of the newest snapshot held")
        snapshotsTaken = registry.makeGauge(name: "keycluster_raft_snapshots_taken_total", help: "Snapshots taken (log compactions) since start")
        snapshotsInstalled = registry.makeGauge(name: "keycluster_raft_snapshots_installed_total", help: "Snapshots received from a leader and installed since start")
        foreignClusterFrames = registry.makeGauge(
            name: "keycluster_peer_foreign_cluster_frames_total", help: "Peer frames dropped because they came from a member of another cluster")
        snapshotsSent = registry.makeGauge(name: "keycluster_raft_snapshots_sent_total", help: "Snapshot transfers streamed to followers since start")
        peerUnverifiedConnections = registry.makeGauge(
            name: "keycluster_peer_unverified_connections", help: "Inbound peer-port connections not yet through TLS and the identity check")
        peerConnectionsRefused = registry.makeGauge(
            name: "keycluster_peer_connections_refused_total", help: "Peer-port connections refused or closed before they were verified, since start")
        peerConnectionsEvicted = registry.makeGauge(
            name: "keycluster_peer_connections_evicted_total", help: "Silent unverified peer-port connections closed to admit newer ones, since start")
    }

    func refresh(from node: RaftNode, transport: PeerTransport, clusterGate: ClusterIDGate) async {
        foreignClusterFrames.set(Double(clusterGate.foreignFrames))
        let status = await node.status
        term.set(Double(status.term))
        isLeader.set(status.role == .leader ? 1.0 : 0.0)
        commitIndex.set(Double(status.commitIndex))
        appliedIndex.set(Double(status.appliedIndex))
        applyLag.set(Double(status.commitIndex &- min(status.appliedIndex, status.commitIndex)))
        pendingProposals.set(Double(status.pendingProposals))
        snapshotIndex.set(Double(status.snapshots.index))
        snapshotsTaken.set(Double(status.snapshots.taken))
        snapshotsInstalled.set(Double(status.snapshots.installed))
        snapshotsSent.set(Double(status.snapshots.sent))
        let storage = node.storageStatistics
        storageCommits.set(Double(storage.committedBatches))
        storageWrites.set(Double(storage.committedWrites))
        let (seconds, attoseconds) = storage.commitDuration.components
        storageCommitSeconds.set(Double(seconds) + Double(attoseconds) / 1e18)
        let peers = transport.status()
        peerUnverifiedConnections.set(Double(peers.unverifiedConnections))
        peerConnectionsRefused.set(Double(peers.connectionsRefused))
        peerConnectionsEvicted.set(Double(peers.connectionsEvicted))
    }
}
