/// Majority arithmetic, separated from the protocol so joint consensus (issue 4) can combine two of these.
public struct MajorityQuorum: Sendable, Equatable {
    public let voters: [NodeID]

    public init(voters: [NodeID]) {
        precondition(!voters.isEmpty, "a quorum needs at least one voter")
        self.voters = voters
    }

    public var size: Int { voters.count / 2 + 1 }

    /// The highest index held by a majority: the `size`-th largest match. A voter with no entry in
    /// `matchIndex` counts as 0.
    public func committedIndex(matchIndex: (NodeID) -> LogIndex) -> LogIndex {
        let sortedDescending = voters.map(matchIndex).sorted(by: >)
        return sortedDescending[size - 1]
    }

    /// The outcome of an election given the answers received so far.
    public func voteResult(votes: [NodeID: Bool]) -> VoteResult {
        let granted = voters.count { votes[$0] == true }
        let rejected = voters.count { votes[$0] == false }
        if granted >= size { return .won }
        if rejected > voters.count - size { return .lost }
        return .pending
    }

    /// True when a majority of voters satisfy `isActive`.
    public func isSatisfied(by isActive: (NodeID) -> Bool) -> Bool {
        voters.count(where: isActive) >= size
    }
}

public enum VoteResult: Sendable, Equatable {
    case won
    case lost
    case pending
}
