import Hummingbird
import RaftNode

/// `GET /v1/cluster/status`: this member's view of the cluster, for operators, tests and the status page.
/// Fields are only ever added: clients and tests read the older ones.
public struct ClusterStatusResponse: ResponseEncodable, Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var id: UInt64
        public var region: String
        public var clientAddress: String
        /// Leader only: how far the member's log matches the leader's.
        public var matchIndex: UInt64?
        /// Leader only: entries the member's log is behind the leader's last index.
        public var lagEntries: UInt64?
        /// The peer link from this member's view: `self`, `reachable` (a verified connection is up) or
        /// `unreachable`. Absent from members of older versions.
        public var link: Link?
    }

    public enum Link: String, Codable, Sendable {
        /// The member answering.
        case own = "self"
        case reachable, unreachable
    }

    /// A leader this member saw take office, oldest first; `observedAtUnixMs` is this member's wall clock.
    public struct LeaderChangeEntry: Codable, Sendable, Equatable {
        public var term: UInt64
        public var leader: UInt64
        public var observedAtUnixMs: Int64
    }

    /// Something an operator must act on: a storage alarm of any member (replicated), or this member's
    /// own storage failure or full disk.
    public struct Alarm: Codable, Sendable, Equatable {
        /// `state-quota`, `disk-reserve`, `storage-failed` or `storage-out-of-space`.
        public var kind: String
        public var member: UInt64
        public var detail: String
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
    /// Size of the newest snapshot taken here since this process started (absent before the first).
    public var lastSnapshotBytes: Int?
    /// How long writing that snapshot took, to its fsync: it grows with the state, so an operator sizes
    /// `snapshots.thresholdEntries` by it.
    public var lastSnapshotMilliseconds: Int64?
    /// This member's wall clock when it answered (Unix ms): ages of `leaderChanges` are measured from it.
    public var nowUnixMs: Int64?
    public var leaderChanges: [LeaderChangeEntry]?
    /// Vehicle command requests decided here (token or refusal of the key) since this process started.
    public var unlocksDecided: UInt64?
    /// Replicated commands applied here since this process started.
    public var writesApplied: UInt64?
    public var alarms: [Alarm]?

    /// What the status answer needs besides the node: the transport's links, the counters and the alarms.
    struct Observations {
        /// Whether a verified peer connection is up, by member id (this member left out).
        var connected: [UInt64: Bool]
        var unlocksDecided: UInt64
        var writesApplied: UInt64
        var storageAlarms: [StorageAlarm]
        var nowUnixMs: Int64
    }

    /// `members` are those of the configuration in force (from the log, not the bootstrap file).
    init(status: NodeStatus, membership: MembershipStatus, clusterID: ClusterID?, observed: Observations? = nil) {
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
        lastSnapshotBytes = status.snapshots.lastTaken?.bytes
        lastSnapshotMilliseconds = status.snapshots.lastTaken?.milliseconds
        members = configuration.members.map { member in
            let matchIndex = member == status.id ? nil : membership.matchIndexes[member]
            // Connected is not enough: a frozen member's kernel keeps its connections up (`silentPeers`).
            let link: Link? =
                member == status.id
                ? .own
                : observed.map {
                    $0.connected[member.rawValue] == true && !status.silentPeers.contains(member)
                        ? .reachable : .unreachable
                }
            return Member(
                id: member.rawValue, region: configuration.region(of: member),
                clientAddress: configuration.addresses[member]?.client ?? "",
                matchIndex: matchIndex, lagEntries: matchIndex.map { status.lastIndex - min($0, status.lastIndex) },
                link: link)
        }
        leaderChanges = status.leaderChanges.map {
            LeaderChangeEntry(term: $0.term, leader: $0.leader.rawValue, observedAtUnixMs: $0.observedAtUnixMs)
        }
        guard let observed else { return }
        nowUnixMs = observed.nowUnixMs
        unlocksDecided = observed.unlocksDecided
        writesApplied = observed.writesApplied
        var alarms = observed.storageAlarms.sorted { ($0.member, $0.kind.rawValue) < ($1.member, $1.kind.rawValue) }.map
        {
            Alarm(kind: ProblemKind.kebabCase($0.kind.rawValue), member: $0.member, detail: $0.description)
        }
        if let failure = status.failure { alarms.append(Alarm(kind: "storage-failed", member: id, detail: failure)) }
        if let outOfSpace = status.outOfSpace {
            alarms.append(Alarm(kind: "storage-out-of-space", member: id, detail: outOfSpace))
        }
        self.alarms = alarms
    }
}
