import RaftCore

/// A snapshot of a node's state for operators, health checks and tests.
public struct NodeStatus: Sendable, Equatable {
    public var id: NodeID
    public var role: RaftRole
    public var term: Term
    public var leader: NodeID?
    public var voters: [NodeID]
    public var commitIndex: LogIndex
    /// Applied durably to the state machine.
    public var appliedIndex: LogIndex
    public var lastIndex: LogIndex
    /// Leader only: replication state of each peer.
    public var peers: [NodeID: ReplicationStatus]
    /// Proposals waiting for their result.
    public var pendingProposals: Int
    /// Set when the node stopped itself (storage failure); it answers nothing until restarted.
    public var failure: String?
    /// Set while the node's writes fail for want of space: it holds its messages, retries, and resumes by
    /// itself once space is freed.
    public var outOfSpace: String?
    public var snapshots = SnapshotStatus()
    /// The last leaders this member saw take office, oldest first (`LeaderHistory`).
    public var leaderChanges: [LeaderChange] = []
    /// Peers this member expects to hear from (as leader: every voter; as follower: its leader) that have been
    /// silent for longer than an election timeout — frozen or cut off even while their TCP connection stays up.
    public var silentPeers: Set<NodeID> = []
}
