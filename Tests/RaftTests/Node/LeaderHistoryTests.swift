import RaftCore
import RaftNode
import Testing

@Suite("Leader history")
struct LeaderHistoryTests {
    @Test("records each new leader or term once, ignores no-leader changes, keeps the newest maxEntries")
    func recordsChanges() {
        var history = LeaderHistory()
        history.record(leader: nil, term: 1, atUnixMs: 10)
        history.record(leader: NodeID(1), term: 1, atUnixMs: 20)
        history.record(leader: NodeID(1), term: 1, atUnixMs: 30)
        history.record(leader: nil, term: 2, atUnixMs: 40)
        history.record(leader: NodeID(2), term: 2, atUnixMs: 50)
        history.record(leader: NodeID(2), term: 3, atUnixMs: 60)
        #expect(
            history.entries == [
                LeaderChange(term: 1, leader: NodeID(1), observedAtUnixMs: 20),
                LeaderChange(term: 2, leader: NodeID(2), observedAtUnixMs: 50),
                LeaderChange(term: 3, leader: NodeID(2), observedAtUnixMs: 60),
            ])
        for term in 4...UInt64(LeaderHistory.maxEntries + 10) {
            history.record(leader: NodeID(term % 3 + 1), term: term, atUnixMs: Int64(term))
        }
        #expect(history.entries.count == LeaderHistory.maxEntries)
        #expect(history.entries.last?.term == UInt64(LeaderHistory.maxEntries + 10))
        #expect(history.entries.first?.term == 11)
    }
}
