/// The AppendEntries receiver (Raft §5.3 and Figure 2) and the follower's step function.
extension RaftCore {
    mutating func stepFollower(_ message: Message) {
        switch message.body {
        case .appendEntries(let append):
            heardFromLeader(message.from)
            acceptAppend(append, from: message.from)
        case .heartbeat(let heartbeat):
            heardFromLeader(message.from)
            acceptHeartbeat(heartbeat, from: message.from)
        case .timeoutNow:
            campaignOnTimeoutNow()
        case .appendEntriesResponse, .heartbeatResponse, .requestVote, .requestVoteResponse, .forwardedProposal,
            .installSnapshotChunk,
            .readIndexRequest, .readIndexResponse:
            break
        }
    }

    private mutating func heardFromLeader(_ sender: NodeID) {
        electionElapsedTicks = 0
        leader = sender
        restoreLeaderContact()
    }

    /// Appends if our log holds `append.previous`; otherwise rejects with a hint that lets the leader
    /// skip every entry of a conflicting term in one round trip.
    mutating func acceptAppend(_ append: AppendEntries, from sender: NodeID) {
        guard isWellFormed(append) else { return }
        if append.previous.index < log.commitIndex {
            // Everything up to our commit index is settled; tell the leader where to continue.
            send(to: sender, term: term, .appendEntriesResponse(.accepted(matchIndex: log.commitIndex)))
            return
        }
        guard log.matches(append.previous) else {
            let hintIndex = log.lastIndex(atOrBefore: append.previous.index, withTermAtMost: append.previous.term)
            let hint = LogPosition(index: hintIndex, term: log.term(at: hintIndex) ?? 0)
            send(to: sender, term: term, .appendEntriesResponse(.rejected(index: append.previous.index, hint: hint)))
            return
        }
        // Refusing to replace a committed entry: only a leader that already broke safety would ask.
        guard log.appendReplacingConflicts(append.entries) else { return }
        refreshConfiguration(afterAppending: append.entries)
        let lastNewIndex = append.previous.index + LogIndex(append.entries.count)
        // Only entries known to match the leader's log may be marked committed (Figure 2, rule 5).
        log.commit(to: min(append.leaderCommit, lastNewIndex))
        send(to: sender, term: term, .appendEntriesResponse(.accepted(matchIndex: lastNewIndex)))
    }

    /// The leader sends at most our match index as commit; capping at our last index guards against
    /// a message that claims more.
    mutating func acceptHeartbeat(_ heartbeat: Heartbeat, from sender: NodeID) {
        log.commit(to: min(heartbeat.commit, log.lastIndex))
        send(to: sender, term: term, .heartbeatResponse(HeartbeatResponse(readRound: heartbeat.readRound)))
    }

    /// Entries must run on from `previous` without gaps, and none may claim a term after the message's.
    private func isWellFormed(_ append: AppendEntries) -> Bool {
        guard append.entries.isContiguousRun else { return false }
        guard let first = append.entries.first, let last = append.entries.last else { return true }
        return first.index == append.previous.index + 1 && first.term >= append.previous.term && last.term <= term
    }
}
