/// One message between members. `term` is the sender's term, except for pre-votes, which carry the
/// term the sender *would* campaign in (Raft thesis §9.6), and granted pre-vote responses, which echo it.
public struct Message: Sendable, Equatable, CustomStringConvertible {
    public var from: NodeID
    public var to: NodeID
    public var term: Term
    public var body: MessageBody

    public init(from: NodeID, to: NodeID, term: Term, body: MessageBody) {
        self.from = from
        self.to = to
        self.term = term
        self.body = body
    }

    public var description: String { "\(from)→\(to) t\(term) \(body)" }

    /// Whether this message may leave while the writes of its `Ready` (and earlier ones) are still
    /// being made durable, once its term is durable. A leader's appends and heartbeats promise nothing
    /// about the leader's own disk: it counts itself toward commitment only as far as the runtime
    /// reports its log durable (`RaftCore.logDurable`), so the commit index they carry holds without
    /// its pending write, and followers acknowledge only what they themselves persisted (Raft thesis
    /// §10.2.1). Votes, acknowledgements and everything else wait.
    public var maySendBeforePersisting: Bool {
        switch body {
        case .appendEntries, .heartbeat: true
        default: false
        }
    }
}

/// Message kinds. New kinds (snapshots, ReadIndex, TimeoutNow) are added as cases in issue 4.
public enum MessageBody: Sendable, Equatable, CustomStringConvertible {
    case appendEntries(AppendEntries)
    case appendEntriesResponse(AppendEntriesResponse)
    case heartbeat(Heartbeat)
    case heartbeatResponse(HeartbeatResponse)
    case requestVote(VoteRequest)
    case requestVoteResponse(VoteResponse)
    /// A follower passing client proposals to the leader it knows. Not term-checked: a proposal is
    /// valid in any term, and a stale leader simply refuses it by not being leader.
    case forwardedProposal(ForwardedProposal)
    /// Runtime to runtime: a piece of the leader's snapshot (see `Ready.snapshotsToSend`). `step(_:)`
    /// ignores it; the receiving runtime assembles the chunks and calls `restore(_:from:term:)`.
    case installSnapshotChunk(InstallSnapshotChunk)
    /// A follower asks the leader to confirm a read (ReadIndex, thesis §6.4).
    case readIndexRequest(ReadIndexRequest)
    /// The leader's confirmed read index for a follower's read, or its refusal.
    case readIndexResponse(ReadIndexResponse)
    /// Leadership transfer (thesis §3.10): the leader tells a caught-up voter to campaign now.
    case timeoutNow

    public var description: String {
        switch self {
        case .appendEntries(let append):
            "append prev \(append.previous) n=\(append.entries.count) commit \(append.leaderCommit)"
        case .appendEntriesResponse(let response):
            response.isRejected
                ? "append-reject \(response.rejectedIndex) hint \(response.conflictHint)"
                : "append-ok match \(response.matchIndex)"
        case .heartbeat(let heartbeat): "heartbeat commit \(heartbeat.commit)"
        case .heartbeatResponse(let response): "heartbeat-ok round \(response.readRound)"
        case .requestVote(let request): "\(request.kind)-request last \(request.lastLog)"
        case .requestVoteResponse(let response): "\(response.kind)-\(response.granted ? "granted" : "rejected")"
        case .forwardedProposal(let proposal): "forwarded-proposal n=\(proposal.payloads.count)"
        case .installSnapshotChunk(let chunk):
            "snapshot-chunk \(chunk.metadata.position) @\(chunk.offset)+\(chunk.data.count)\(chunk.isLast ? " last" : "")"
        case .readIndexRequest(let request): "read-index-request ctx \(request.context)"
        case .readIndexResponse(let response):
            "read-index-response ctx \(response.context) index \(response.index.map(String.init) ?? "refused")"
        case .timeoutNow: "timeout-now"
        }
    }
}

/// AppendEntries RPC (Raft §5.3). `entries` may be empty: then it only probes or carries commit.
public struct AppendEntries: Sendable, Equatable {
    /// The position just before `entries`; the follower accepts only if its log holds it.
    public var previous: LogPosition
    public var entries: [Entry]
    public var leaderCommit: LogIndex

    public init(previous: LogPosition, entries: [Entry], leaderCommit: LogIndex) {
        self.previous = previous
        self.entries = entries
        self.leaderCommit = leaderCommit
    }
}

/// The answer to `AppendEntries`. A rejection carries a hint so the leader can skip a whole
/// conflicting term at once instead of one index per round trip (Raft §5.3, "fast backtracking").
public struct AppendEntriesResponse: Sendable, Equatable {
    /// On success: the last index the follower now holds that matches the leader.
    public var matchIndex: LogIndex
    /// On rejection: the `previous.index` of the append that was rejected; 0 on success.
    public var rejectedIndex: LogIndex
    /// On rejection: the largest position in the follower's log at or before `rejectedIndex` whose term
    /// is at most the leader's `previous.term` — the leader may resume right after it.
    public var conflictHint: LogPosition
    public var isRejected: Bool

    public static func accepted(matchIndex: LogIndex) -> AppendEntriesResponse {
        AppendEntriesResponse(matchIndex: matchIndex, rejectedIndex: 0, conflictHint: .origin, isRejected: false)
    }

    public static func rejected(index: LogIndex, hint: LogPosition) -> AppendEntriesResponse {
        AppendEntriesResponse(matchIndex: 0, rejectedIndex: index, conflictHint: hint, isRejected: true)
    }
}

/// Heartbeat: asserts leadership and carries a commit index no larger than the follower's match,
/// so a follower never marks as committed an entry it may not hold.
public struct Heartbeat: Sendable, Equatable {
    public var commit: LogIndex
    /// The leader's latest ReadIndex round; the answer echoes it (`RaftCore+ReadIndex`).
    public var readRound: UInt64

    public init(commit: LogIndex, readRound: UInt64 = 0) {
        self.commit = commit
        self.readRound = readRound
    }
}

/// The answer to a heartbeat, echoing its read round: proof that this follower still followed the
/// leader after every read of that round was registered.
public struct HeartbeatResponse: Sendable, Equatable {
    public var readRound: UInt64

    public init(readRound: UInt64) {
        self.readRound = readRound
    }
}

/// Whether a vote request is a PreVote probe (changes no state) or a real vote.
public enum ElectionKind: Sendable, Equatable, CustomStringConvertible {
    case preVote
    case vote

    public var description: String { self == .preVote ? "pre-vote" : "vote" }
}

public struct VoteRequest: Sendable, Equatable {
    public var kind: ElectionKind
    public var lastLog: LogPosition
    /// Sent by a transfer target after `TimeoutNow`: voters set leader stickiness aside, because the
    /// leader itself asked for this election (etcd's campaignTransfer).
    public var isLeadershipTransfer: Bool

    public init(kind: ElectionKind, lastLog: LogPosition, isLeadershipTransfer: Bool = false) {
        self.kind = kind
        self.lastLog = lastLog
        self.isLeadershipTransfer = isLeadershipTransfer
    }
}

public struct VoteResponse: Sendable, Equatable {
    public var kind: ElectionKind
    public var granted: Bool

    public init(kind: ElectionKind, granted: Bool) {
        self.kind = kind
        self.granted = granted
    }
}

public struct ForwardedProposal: Sendable, Equatable {
    public var payloads: [[UInt8]]

    public init(payloads: [[UInt8]]) {
        self.payloads = payloads
    }
}
