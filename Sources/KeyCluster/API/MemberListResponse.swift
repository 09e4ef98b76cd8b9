import Hummingbird
import RaftNode

/// `GET /v1/cluster/members` (and the answer to every membership change): the configuration in force on the
/// member that answered, and — when it is the leader — how far each member's log lags behind.
public struct MemberListResponse: ResponseEncodable, Codable, Sendable {
    public struct Member: Codable, Sendable {
        public var id: UInt64
        public var region: String
        /// `voter` or `learner`.
        public var role: String
        public var peerAddress: String?
        public var clientAddress: String?
        /// Leader only: the last log index this member is known to hold.
        public var matchIndex: UInt64?
        /// Leader only: entries this member is behind the leader's last index.
        public var lagEntries: UInt64?
    }

    /// The member that answered.
    public var servedBy: UInt64
    public var leader: UInt64?
    public var term: UInt64
    public var commitIndex: UInt64
    public var lastIndex: UInt64
    /// A change is appended but not committed; the next one is refused until it is.
    public var changePending: Bool
    /// For a change: the revision (log index) it was applied at.
    public var revision: UInt64?
    public var members: [Member]

    init(_ status: MembershipStatus, revision: UInt64? = nil) {
        let configuration = status.configuration
        servedBy = status.id.rawValue
        leader = status.leader?.rawValue
        term = status.term
        commitIndex = status.commitIndex
        lastIndex = status.lastIndex
        changePending = status.isChangePending
        self.revision = revision
        members = configuration.members.map { id in
            let match = status.matchIndexes[id]
            return Member(
                id: id.rawValue, region: configuration.region(of: id),
                role: configuration.isVoter(id) ? "voter" : "learner",
                peerAddress: configuration.addresses[id]?.peer, clientAddress: configuration.addresses[id]?.client,
                matchIndex: match, lagEntries: match.map { status.lastIndex - min($0, status.lastIndex) })
        }
    }
}
