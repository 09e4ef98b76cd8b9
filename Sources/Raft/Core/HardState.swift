/// The state a member must make durable before it answers anyone (Raft Figure 2, "persistent state"):
/// forgetting the term or the vote after a crash could let it vote twice in one term.
public struct HardState: Sendable, Equatable, CustomStringConvertible {
    public var term: Term
    public var vote: NodeID?
    /// Persisted so a restart does not have to re-learn it; losing it is safe, only slower.
    public var commit: LogIndex

    public init(term: Term = 0, vote: NodeID? = nil, commit: LogIndex = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    public static let initial = HardState()

    public var description: String { "term \(term) vote \(vote.map(String.init(describing:)) ?? "-") commit \(commit)" }
}
