import Storage
import Testing

@testable import RaftCore
@testable import RaftNode

/// Which writes of the node may leave their meta-page sync to the next write (`RaftNode.durability`): only
/// those a machine crash may undo harmlessly, because the durable log lets the restart redo them.
@Suite("Raft node: commit durability per batch")
struct CommitDurabilityTests {
    static let durable = DurabilityLedger(hardState: HardState(term: 3, vote: NodeID(1), commit: 5), lastIndex: 9)
    static let committed = [Entry(index: 6, term: 3, kind: .normal, payload: [1])]

    static func durability(_ batch: [Ready], compaction: SnapshotCompaction? = nil) -> CommitDurability {
        RaftNode.durability(of: batch, compaction: compaction, durable: durable)
    }

    @Test("a batch that only applies committed entries and moves the commit index defers its meta-page sync")
    func appliesDefer() {
        #expect(Self.durability([Ready(committedEntries: Self.committed)]) == .deferredToNextCommit)
        #expect(
            Self.durability([
                Ready(hardState: HardState(term: 3, vote: NodeID(1), commit: 6), committedEntries: Self.committed)
            ]) == .deferredToNextCommit)
        #expect(Self.durability([]) == .deferredToNextCommit)
    }

    @Test("entries, a new term or vote, a snapshot install or a compaction in the batch make the whole write immediate")
    func promisesAreImmediate() {
        let applies = Ready(committedEntries: Self.committed)
        let append = Ready(entriesToAppend: [Entry(index: 10, term: 3, kind: .normal, payload: [2])])
        let newTerm = Ready(hardState: HardState(term: 4, vote: nil, commit: 5))
        let newVote = Ready(hardState: HardState(term: 3, vote: NodeID(2), commit: 5))
        let install = Ready(
            snapshotToInstall: SnapshotMetadata(
                index: 20, term: 3, configuration: MembershipConfiguration(voters: [NodeID(1)])))
        for promise in [append, newTerm, newVote, install] {
            #expect(Self.durability([applies, promise]) == .immediate, "\(promise)")
            #expect(Self.durability([promise, applies]) == .immediate, "\(promise)")
        }
        let compaction = SnapshotCompaction(
            snapshot: SnapshotMetadata(index: 5, term: 3, configuration: MembershipConfiguration(voters: [NodeID(1)])),
            compactThrough: 5)
        #expect(Self.durability([applies], compaction: compaction) == .immediate)
    }
}
