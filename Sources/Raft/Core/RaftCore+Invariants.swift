/// Checked after every input. A violation means a bug in the core, so it stops the process rather
/// than let a member continue with corrupt state.
extension RaftCore {
    func checkInvariants(termBefore: Term) {
        precondition(term >= termBefore, "term went backwards: \(termBefore) → \(term)")
        precondition(
            log.durableIndex <= log.lastIndex, "durable \(log.durableIndex) beyond last index \(log.lastIndex)")
        precondition(log.commitIndex <= log.lastIndex, "commit \(log.commitIndex) beyond last index \(log.lastIndex)")
        precondition(
            log.appliedIndex <= log.commitIndex, "applied \(log.appliedIndex) beyond commit \(log.commitIndex)")
        precondition(log.lastPosition.term <= term, "log holds an entry from a future term")
        precondition(
            role == .leader || (progress.isEmpty && uncommittedBytes == 0), "leader-only state outside leadership")
        precondition(
            uncommittedBytes >= 0 && uncommittedBytes <= options.maxUncommittedBytes, "uncommitted bytes out of bounds")
        switch role {
        case .leader:
            precondition(leader == id && vote == id, "a leader follows and voted for itself")
            precondition(
                progress[id].map { $0.match == log.durableIndex } ?? true,
                "a leader's own match is what its disk holds, no more and no less")
            precondition(
                log.commitIndex == 0 || log.term(at: log.commitIndex).map { $0 <= term } == true,
                "commit beyond the log")
        case .candidate:
            precondition(vote == id && leader == nil, "a candidate voted for itself and knows no leader")
        case .preCandidate:
            precondition(leader == nil, "a pre-candidate knows no leader")
        case .follower:
            precondition(leader != id, "a follower does not follow itself")
        }
        checkReadIndexInvariants()
        checkFreshnessInvariants()
        checkTransferInvariants()
        checkSnapshotAndMembershipInvariants()
        checkFailoverInvariants()
    }
}
