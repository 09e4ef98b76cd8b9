import Hummingbird
import Raft

/// `GET /v1/cluster/status`: this member's view of the cluster, for operators and tests.
public struct ClusterStatusResponse: ResponseEncodable, Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var id: UInt64
        public var region: String
        public var clientAddress: String
        /// Leader only: how far the member's log matches the leader's.
        public var matchIndex: UInt64?
    }

    public var id: UInt64
    /// The cluster this member's data belongs to (absent on a joining member that has not heard from it yet).
    public var clusterID: String?
    public var region: String
    public var role: String
    public var term: UInt64
    public var leader: UInt64?
    public var commitIndex: UInt64
    public var appliedIndex: UInt64
    public var lastIndex: UInt64
    public var pendingProposals: Int
    public var failure: String?
    public var members: [Member]
    /// Index of the newest snapshot this member holds (0: none).
    public var snapshotIndex: UInt64?
    /// Snapshots received from a leader and installed since this process started.
    public var snapshotsInstalled: Int?
    /// Snapshots taken here (each followed by log compaction) since this process started.
    public var snapshotsTaken: Int?

    /// `members` are those of the configuration in force (from the log, not the bootstrap file).
    init(status: NodeStatus, membership: MembershipStatus, clusterID: ClusterID?) {
        let configuration = membership.configuration
        id = status.id.rawValue
        self.clusterID = clusterID.map { "\($0)" }
        region = configuration.region(of: status.id)
        role = "\(status.role)"
        term = status.term
        leader = status.leader?.rawValue
        commitIndex = status.commitIndex
        appliedIndex = status.appliedIndex
        lastIndex = status.lastIndex
        pendingProposals = status.pendingProposals
        failure = status.failure
        snapshotIndex = status.snapshots.index
        snapshotsInstalled = status.snapshots.installed
        snapshotsTaken = status.snapshots.taken
        members = configuration.members.map { member in
            Member(
                id: member.rawValue, region: configuration.region(of: member), clientAddress: configuration.addresses[member]?.client ?? "",
                matchIndex: member == status.id ? nil : membership.matchIndexes[member])
        }
    }
}
