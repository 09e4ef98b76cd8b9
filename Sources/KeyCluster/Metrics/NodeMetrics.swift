import Foundation
import Prometheus
import RaftCore
import RaftNode
import RaftTransport

/// The Raft, storage and peer-link figures an operator watches, polled from the node and the transport every
/// `refreshInterval` (design §9): term, role, leader, commit and apply progress (and their lag), proposals
/// waiting, quorum reachability, per-peer link state and replication lag, and counters fed from running
/// totals (storage commits, snapshots, peer-port admission). Events timed as they happen (fsync, apply and
/// commit latency, elections, leader changes) are `RaftEventMetrics`; HTTP requests are `HTTPMetricsMiddleware`.
struct NodeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let term: Gauge
    private let isLeader: Gauge
    private let hasLeader: Gauge
    private let commitIndex: Gauge
    private let appliedIndex: Gauge
    private let applyLag: Gauge
    private let pendingProposals: Gauge
    private let voters: Gauge
    private let reachableVoters: Gauge
    private let snapshotIndex: Gauge
    private let lastSnapshotBytes: Gauge
    private let lastSnapshotSeconds: Gauge
    private let peerUnverifiedConnections: Gauge
    private let tlsCertificateExpiresIn: Gauge
    /// When the member's TLS certificate (the first of its chain file, read at start) expires.
    private let tlsCertificateNotValidAfter: Date
    private let peerLinkUp: PeerGauges
    private let peerLag: PeerGauges
    private let storageCommits: CumulativeCounter
    private let storageWrites: CumulativeCounter
    private let storageCommitSeconds: CumulativeCounter
    private let snapshotsTaken: CumulativeCounter
    private let snapshotsInstalled: CumulativeCounter
    private let snapshotsSent: CumulativeCounter
    private let foreignClusterFrames: CumulativeCounter
    private let peerConnectionsRefused: CumulativeCounter
    private let peerConnectionsEvicted: CumulativeCounter

    /// How often the gauges are refreshed from the node.
    static let refreshInterval: Duration = .seconds(1)

    init(registry: PrometheusCollectorRegistry, tlsCertificateNotValidAfter: Date) {
        self.registry = registry
        self.tlsCertificateNotValidAfter = tlsCertificateNotValidAfter
        let gauge = { (subsystem: String, name: String, unit: String, help: String) in
            registry.makeGauge(descriptor: .keycluster(subsystem, name, unit: unit, help: help))
        }
        let counter = { (subsystem: String, name: String, help: String) in
            CumulativeCounter(registry.makeCounter(descriptor: .keycluster(subsystem, name, unit: "total", help: help)))
        }
        term = gauge("raft", "term", "", "Current Raft term")
        isLeader = gauge("raft", "is_leader", "", "1 when this member leads")
        hasLeader = gauge("raft", "has_leader", "", "1 when this member knows a leader for its term")
        commitIndex = gauge("raft", "commit_index", "", "Highest log index known committed")
        appliedIndex = gauge("raft", "applied_index", "", "Highest log index applied durably")
        applyLag = gauge("raft", "apply_lag", "entries", "Committed entries not yet applied")
        pendingProposals = gauge("raft", "pending_proposals", "", "Proposals waiting for their result")
        voters = gauge("raft", "voters", "", "Voting members in the configuration in force")
        reachableVoters = gauge(
            "raft", "reachable_voters", "",
            "Voters this member has a verified peer link to, itself included (quorum needs a majority of voters)")
        snapshotIndex = gauge("raft", "snapshot_index", "", "Index of the newest snapshot held")
        lastSnapshotBytes = gauge(
            "raft", "last_snapshot", "bytes", "Size of the newest snapshot taken here since start (0: none yet)")
        lastSnapshotSeconds = gauge(
            "raft", "last_snapshot_write", "seconds",
            "Time the newest snapshot taken here took to write and fsync; grows with the state")
        peerUnverifiedConnections = gauge(
            "peer", "unverified_connections", "",
            "Inbound peer-port connections not yet through TLS and the identity check")
        tlsCertificateExpiresIn = gauge(
            "tls", "certificate_expires_in", "seconds",
            "Seconds until this member's TLS certificate (client and peer ports) expires; replace it and restart the member well before 0"
        )
        peerLinkUp = PeerGauges(
            registry: registry, subsystem: "peer", name: "link", unit: "up",
            help: "1 while a verified connection to the peer (label peer: its member id) is up")
        peerLag = PeerGauges(
            registry: registry, subsystem: "raft", name: "peer_lag", unit: "entries",
            help:
                "Leader only: entries the peer (label peer) lacks, this member's last index minus the peer's match index"
        )
        storageCommits = counter(
            "storage", "commits",
            "LMDB write commits (each flushes its data; most also the meta page, applies alone defer it)")
        storageWrites = counter("storage", "writes", "Writes committed (many per commit)")
        storageCommitSeconds = counter("storage", "commit_seconds", "Seconds spent in durable commits")
        snapshotsTaken = counter("raft", "snapshots_taken", "Snapshots taken (log compactions) since start")
        snapshotsInstalled = counter(
            "raft", "snapshots_installed", "Snapshots received from a leader and installed since start")
        snapshotsSent = counter("raft", "snapshots_sent", "Snapshot transfers streamed to followers since start")
        foreignClusterFrames = counter(
            "peer", "foreign_cluster_frames", "Peer frames dropped because they came from a member of another cluster")
        peerConnectionsRefused = counter(
            "peer", "connections_refused",
            "Peer-port connections refused or closed before they were verified, since start")
        peerConnectionsEvicted = counter(
            "peer", "connections_evicted",
            "Silent unverified peer-port connections closed to admit newer ones, since start")
        registry.makeGauge(
            descriptor: .keycluster(
                "", "build", unit: "info",
                help: "Always 1; the labels say which release, compiler and configuration this member runs"),
            labels: [
                ("version", BuildInfo.version), ("swift", BuildInfo.swiftVersion),
                ("configuration", BuildInfo.configuration),
            ]
        ).set(1.0)
    }

    func refresh(from node: RaftNode, transport: PeerTransport, clusterGate: ClusterIDGate) async {
        foreignClusterFrames.advance(to: Double(clusterGate.foreignFrames))
        tlsCertificateExpiresIn.set(tlsCertificateNotValidAfter.timeIntervalSinceNow)
        let status = await node.status
        term.set(Double(status.term))
        isLeader.set(status.role == .leader ? 1.0 : 0.0)
        hasLeader.set(status.leader == nil ? 0.0 : 1.0)
        commitIndex.set(Double(status.commitIndex))
        appliedIndex.set(Double(status.appliedIndex))
        applyLag.set(Double(status.commitIndex &- min(status.appliedIndex, status.commitIndex)))
        pendingProposals.set(Double(status.pendingProposals))
        snapshotIndex.set(Double(status.snapshots.index))
        if let taken = status.snapshots.lastTaken {
            lastSnapshotBytes.set(Double(taken.bytes))
            lastSnapshotSeconds.set(Double(taken.milliseconds) / 1_000)
        }
        snapshotsTaken.advance(to: Double(status.snapshots.taken))
        snapshotsInstalled.advance(to: Double(status.snapshots.installed))
        snapshotsSent.advance(to: Double(status.snapshots.sent))
        var lags: [UInt64: Double] = [:]
        for (peer, replication) in status.peers where status.role == .leader {
            lags[peer.rawValue] = Double(status.lastIndex &- min(replication.match, status.lastIndex))
        }
        peerLag.update(lags)
        let storage = node.storageStatistics
        storageCommits.advance(to: Double(storage.committedBatches))
        storageWrites.advance(to: Double(storage.committedWrites))
        storageCommitSeconds.advance(to: storage.commitDuration.seconds)
        let peers = transport.status()
        // Up: connected and not silent — a frozen member's kernel keeps its TCP connection up (`silentPeers`).
        func isUp(_ peer: UInt64) -> Bool {
            peers.peers[peer]?.isConnected == true && !status.silentPeers.contains(NodeID(peer))
        }
        peerLinkUp.update(Dictionary(uniqueKeysWithValues: peers.peers.keys.map { ($0, isUp($0) ? 1.0 : 0.0) }))
        let selfVotes = status.voters.contains(status.id) ? 1 : 0
        voters.set(Double(status.voters.count))
        reachableVoters.set(Double(selfVotes + status.voters.filter { $0 != status.id && isUp($0.rawValue) }.count))
        peerUnverifiedConnections.set(Double(peers.unverifiedConnections))
        peerConnectionsRefused.advance(to: Double(peers.connectionsRefused))
        peerConnectionsEvicted.advance(to: Double(peers.connectionsEvicted))
    }
}
