/// Linearizable reads without log writes (Raft thesis §6.4): the public types of `readIndex(context:)`.

/// An id the runtime picks for one read, unique among its reads still pending on this member; the
/// core hands it back in a `ReadState` or a `ReadFailure`.
public typealias ReadContext = UInt64

/// A read the core has cleared: once the state machine has applied through `index`, the runtime may
/// answer the read from local state and the answer is linearizable.
public struct ReadState: Sendable, Equatable {
    public var context: ReadContext
    public var index: LogIndex

    public init(context: ReadContext, index: LogIndex) {
        self.context = context
        self.index = index
    }
}

/// A read the core gave up on; the runtime answers its client with a retryable error.
public struct ReadFailure: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// The term or the leader changed before a quorum confirmed the leader; retry on the new leader.
        case leadershipChanged
        /// A forwarded read got no answer from the leader within an election timeout.
        case timedOut
        /// The leader refused it: it holds `maxPendingReads` reads already, or is no longer leader.
        case refusedByLeader
    }

    public var context: ReadContext
    public var reason: Reason

    public init(context: ReadContext, reason: Reason) {
        self.context = context
        self.reason = reason
    }
}

/// Why `readIndex(context:)` refused a read at once.
public enum ReadIndexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No leader is known (an election is in progress); retry after a short backoff.
    case noLeader
    /// `maxPendingReads` reads are already waiting on this member.
    case tooManyPendingReads(limit: Int)

    public var description: String {
        switch self {
        case .noLeader: "no leader is known; retry later"
        case .tooManyPendingReads(let limit): "\(limit) reads already pending; retry later"
        }
    }
}

/// A follower asks its leader for a read index on behalf of one of its reads.
public struct ReadIndexRequest: Sendable, Equatable {
    public var context: ReadContext

    public init(context: ReadContext) {
        self.context = context
    }
}

/// The leader's answer to a `ReadIndexRequest`: the confirmed index, or a refusal (`index` nil).
public struct ReadIndexResponse: Sendable, Equatable {
    public var context: ReadContext
    public var index: LogIndex?

    public init(context: ReadContext, index: LogIndex?) {
        self.context = context
        self.index = index
    }
}

/// Who asked the leader for a read: its own runtime, or a follower that forwarded it.
enum ReadOrigin: Sendable, Equatable {
    case local
    case follower(NodeID)
}

/// The read bookkeeping of one member, leader side and follower side. Every list is bounded by
/// `maxPendingReads`; outcomes wait here only until the next `ready()`.
struct ReadIndexState: Sendable, Equatable {
    /// A read on the leader. `round` is nil until the heartbeat round that confirms it starts; `index`
    /// is the commit index recorded when that round started.
    struct LeaderRead: Sendable, Equatable {
        var context: ReadContext
        var origin: ReadOrigin
        var index: LogIndex = 0
        var round: UInt64?
    }

    /// A read this member forwarded to `leader` and waits on.
    struct ForwardedRead: Sendable, Equatable {
        var context: ReadContext
        var leader: NodeID
        var elapsedTicks = 0
    }

    /// Leader only, in arrival order; rounds never decrease along it.
    var leaderReads: [LeaderRead] = []
    /// The latest heartbeat round of this leadership; every heartbeat carries it.
    var latestRound: UInt64 = 0
    /// The latest round each peer echoed in this leadership.
    var acknowledgedRounds: [NodeID: UInt64] = [:]
    /// Not leader only.
    var forwardedReads: [ForwardedRead] = []
    var released: [ReadState] = []
    var failed: [ReadFailure] = []

    var hasUnstartedReads: Bool { leaderReads.last.map { $0.round == nil } ?? false }
}
