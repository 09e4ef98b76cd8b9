/// Elections: timeouts, PreVote, vote granting (Raft §5.2, §5.4.1; thesis §9.6 for PreVote and
/// leader stickiness).
extension RaftCore {
    mutating func tickElection() {
        electionElapsedTicks += 1
        guard configuration.isVoter(id), electionElapsedTicks >= randomizedElectionTimeoutTicks else { return }
        electionElapsedTicks = 0
        campaign(.preVote)
    }

    /// Starts a pre-election or an election and asks every other voter. `isLeadershipTransfer` marks
    /// an election the leader asked for (`TimeoutNow`).
    mutating func campaign(_ kind: ElectionKind, isLeadershipTransfer: Bool = false) {
        let electionTerm: Term
        switch kind {
        case .preVote:
            becomePreCandidate()
            electionTerm = term + 1
        case .vote:
            becomeCandidate()
            electionTerm = term
        }
        votes[id] = true
        if quorum.voteResult(votes: votes) == .won {
            concludeElection(kind)
            return
        }
        let request = VoteRequest(kind: kind, lastLog: log.lastPosition, isLeadershipTransfer: isLeadershipTransfer)
        for peer in peers {
            send(to: peer, term: electionTerm, .requestVote(request))
        }
    }

    private mutating func concludeElection(_ kind: ElectionKind) {
        switch kind {
        case .preVote: campaign(.vote)
        case .vote: becomeLeader()
        }
    }

    /// Leader stickiness: a member that heard from a live leader within the election timeout refuses
    /// to help replace it, so a node returning from a partition cannot depose a healthy leader.
    var isWithinLeaderLease: Bool {
        leader != nil && !failover.isLeaderContactLost && electionElapsedTicks < options.electionTimeoutTicks
    }

    /// Compares the message's term with ours (Raft §5.1) and returns whether to go on handling it.
    mutating func observeTerm(of message: Message) -> Bool {
        if message.term > term {
            switch message.body {
            case .requestVote(let request):
                if isWithinLeaderLease && !request.isLeadershipTransfer { return false }
                // A pre-vote must leave no trace: answering it does not move our term.
                if request.kind == .preVote { return true }
                becomeFollower(term: message.term, leader: nil)
            case .requestVoteResponse(let response) where response.kind == .preVote && response.granted:
                // Granted pre-votes echo the term we would campaign in; it is not yet ours.
                return true
            case .appendEntries, .heartbeat, .timeoutNow:
                becomeFollower(term: message.term, leader: message.from)
            case .appendEntriesResponse, .heartbeatResponse, .requestVoteResponse, .forwardedProposal,
                .installSnapshotChunk,
                .readIndexRequest, .readIndexResponse:
                becomeFollower(term: message.term, leader: nil)
            }
            return true
        }
        if message.term < term {
            switch message.body {
            case .appendEntries, .heartbeat:
                // A deposed leader keeps sending; our higher term in the reply makes it step down.
                send(to: message.from, term: term, .heartbeatResponse(HeartbeatResponse(readRound: 0)))
            case .requestVote(let request) where request.kind == .preVote:
                // Tell a pre-candidate with a stale term about ours, so it catches up instead of retrying.
                send(to: message.from, term: term, .requestVoteResponse(VoteResponse(kind: .preVote, granted: false)))
            default:
                break
            }
            return false
        }
        return true
    }

    /// Raft §5.2 and §5.4.1: grant at most one vote per term, and only to a candidate whose log is at
    /// least as up to date as ours. A pre-vote for a later term is granted on the log test alone.
    mutating func answerVoteRequest(_ request: VoteRequest, from candidate: NodeID, requestTerm: Term) {
        let canVote =
            vote == candidate
            || (vote == nil && leader == nil)
            || (request.kind == .preVote && requestTerm > term)
        // A member answers whatever its own configuration says (Raft thesis §4.1): a learner that was
        // promoted without knowing it yet must still be able to vote. Candidates ask, and count,
        // only the voters of their configuration, so a learner's answer never decides anything.
        let granted = canVote && request.lastLog.isAtLeastAsUpToDate(as: log.lastPosition)
        // A granted answer carries the request's term so a pre-candidate can count it; a refusal
        // carries ours so a candidate behind us learns of it.
        send(
            to: candidate, term: granted ? requestTerm : term,
            .requestVoteResponse(VoteResponse(kind: request.kind, granted: granted)))
        if granted && request.kind == .vote {
            precondition(requestTerm == term, "a vote is granted only in the current term")
            vote = candidate
            electionElapsedTicks = 0
        }
    }

    /// Candidate and pre-candidate: count votes; yield to a leader of this term.
    mutating func stepCandidate(_ message: Message) {
        switch message.body {
        case .appendEntries(let append):
            becomeFollower(term: term, leader: message.from)
            acceptAppend(append, from: message.from)
        case .heartbeat(let heartbeat):
            becomeFollower(term: term, leader: message.from)
            acceptHeartbeat(heartbeat, from: message.from)
        case .requestVoteResponse(let response):
            let expectedKind: ElectionKind = role == .preCandidate ? .preVote : .vote
            guard response.kind == expectedKind else { return }
            votes[message.from] = response.granted
            switch quorum.voteResult(votes: votes) {
            case .won: concludeElection(expectedKind)
            case .lost: becomeFollower(term: term, leader: nil)
            case .pending: break
            }
        case .appendEntriesResponse, .heartbeatResponse, .requestVote, .forwardedProposal, .installSnapshotChunk,
            .readIndexRequest, .readIndexResponse, .timeoutNow:
            break
        }
    }
}
