import RaftCore

/// What a member's storage holds durably, and the rule that no message promises more (design §3; `Ready`):
/// a vote is durable before it is granted or asked for, a term before any message of it, appended entries
/// before they are acknowledged. The runtime updates it as writes complete and checks every message it is
/// about to send in debug builds; the simulator checks it on every send. A violation is a bug in the
/// runtime's ordering — after a crash the member could vote twice in a term or lose acknowledged entries.
public struct DurabilityLedger: Sendable, Equatable {
    public private(set) var term: Term
    public private(set) var vote: NodeID?
    /// The last log index stored (an upper bound after a snapshot install, which may drop a suffix).
    public private(set) var lastIndex: LogIndex

    public init(hardState: HardState, lastIndex: LogIndex) {
        term = hardState.term
        vote = hardState.vote
        self.lastIndex = lastIndex
    }

    /// The write holding `ready`'s hard state, snapshot and entries is durable.
    public mutating func persisted(_ ready: Ready) {
        if let hardState = ready.hardState {
            precondition(hardState.term >= term, "a durable term never goes back")
            term = hardState.term
            vote = hardState.vote
        }
        if let snapshot = ready.snapshotToInstall { lastIndex = max(lastIndex, snapshot.index) }
        // Appending at or below the stored last index replaces the suffix from there.
        if let last = ready.entriesToAppend.last { lastIndex = last.index }
    }

    /// Why `message` may not be sent with only this state durable; nil when it may.
    public func violation(_ message: Message) -> String? {
        switch message.body {
        case .requestVote(let request) where request.kind == .preVote:
            return nil  // carries the term it would campaign in; nothing is persisted for a pre-vote
        case .requestVoteResponse(let response) where response.kind == .preVote:
            return nil
        case .requestVote:
            guard term == message.term, vote == message.from else {
                return
                    "vote request of term \(message.term) before its self-vote is durable (durable t\(term) vote \(vote.map { "\($0)" } ?? "-"))"
            }
        case .requestVoteResponse(let response) where response.granted:
            guard term == message.term, vote == message.to else {
                return
                    "vote granted to \(message.to) in term \(message.term) before the vote is durable (durable t\(term) vote \(vote.map { "\($0)" } ?? "-"))"
            }
        case .appendEntriesResponse(let response) where !response.isRejected:
            guard lastIndex >= response.matchIndex else {
                return "append acknowledged through \(response.matchIndex) with only \(lastIndex) durable"
            }
        default:
            break
        }
        guard message.term <= term else {
            return "\(message.body) of term \(message.term) before the term is durable (durable t\(term))"
        }
        return nil
    }
}
