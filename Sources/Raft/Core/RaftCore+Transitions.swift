/// Role transitions (Raft Figure 4, plus PreVote's pre-candidate). Every role change goes through
/// one of these, so the state each role relies on is set up in exactly one place.
extension RaftCore {
    /// Clears per-term volatile state; moving to a new term forgets the vote (Figure 2).
    mutating func reset(term newTerm: Term) {
        precondition(newTerm >= term, "terms never go backwards")
        if newTerm != term {
            term = newTerm
            vote = nil
        }
        leader = nil
        electionElapsedTicks = 0
        heartbeatElapsedTicks = 0
        resetRandomizedElectionTimeout()
        votes.removeAll()
        progress.removeAll()
        uncommittedBytes = 0
        hasUnsentProposals = false
        transfer = nil
        restoreLeaderContact()
        abandonReads()
    }

    mutating func becomeFollower(term newTerm: Term, leader newLeader: NodeID?) {
        reset(term: newTerm)
        role = .follower
        leader = newLeader
    }

    /// PreVote (thesis §9.6): ask whether an election could be won before disturbing anyone with a
    /// higher term. Term and vote stay as they are.
    mutating func becomePreCandidate() {
        precondition(role != .leader, "a leader does not campaign")
        role = .preCandidate
        leader = nil
        votes.removeAll()
    }

    /// Raft §5.2: increment the term and vote for yourself.
    mutating func becomeCandidate() {
        precondition(role != .leader, "a leader does not campaign")
        reset(term: term + 1)
        role = .candidate
        vote = id
    }

    /// Raft §5.2/§8: take over replication and append an empty entry of the new term, so that earlier
    /// entries can be committed by counting it (§5.4.2).
    mutating func becomeLeader() {
        precondition(role == .candidate, "only a candidate that won its election becomes leader")
        reset(term: term)
        role = .leader
        leader = id
        for member in configuration.members {
            progress[member] = Progress(next: log.lastIndex + 1, options: options)
        }
        progress[id]?.match = log.durableIndex
        appendAsLeader(Entry(index: log.lastIndex + 1, term: term, kind: .empty))
        broadcastAppend()
    }
}
