import RaftCore
import Testing

@Suite("Raft quorum arithmetic")
struct QuorumTests {
    static let fiveVoters = MajorityQuorum(voters: (1...5).map { NodeID($0) })

    @Test("the committed index is the highest index a majority holds")
    func committedIndexIsMajorityMatch() {
        let matches: [UInt64: LogIndex] = [1: 9, 2: 7, 3: 3, 4: 8, 5: 1]
        #expect(Self.fiveVoters.committedIndex { matches[$0.rawValue] ?? 0 } == 7)
        #expect(Self.fiveVoters.committedIndex { _ in 0 } == 0)
    }

    @Test("an election is won by a majority of grants and lost once a majority is out of reach")
    func voteResults() {
        func votes(_ answers: [UInt64: Bool]) -> [NodeID: Bool] {
            Dictionary(uniqueKeysWithValues: answers.map { (NodeID($0.key), $0.value) })
        }
        #expect(Self.fiveVoters.voteResult(votes: votes([1: true, 2: true])) == .pending)
        #expect(Self.fiveVoters.voteResult(votes: votes([1: true, 2: true, 3: true])) == .won)
        #expect(Self.fiveVoters.voteResult(votes: votes([1: true, 2: false, 3: false])) == .pending)
        #expect(Self.fiveVoters.voteResult(votes: votes([1: true, 2: false, 3: false, 4: false])) == .lost)
        #expect(
            Self.fiveVoters.voteResult(votes: votes([1: true, 9: true, 8: true])) == .pending, "non-voters do not count"
        )
    }

    @Test("a single voter is its own majority")
    func singleVoter() {
        let quorum = MajorityQuorum(voters: [NodeID(1)])
        #expect(quorum.size == 1)
        #expect(quorum.voteResult(votes: [NodeID(1): true]) == .won)
    }
}
