/// The leader: replication with pipelining and probing (Raft §5.3), commitment (§5.4.2),
/// heartbeats, CheckQuorum, proposals and their uncommitted-bytes bound.
extension RaftCore {
    mutating func tickLeader() {
        guard !stepDownIfRemoved() else { return }
        tickSnapshotTransfers()
        heartbeatElapsedTicks += 1
        electionElapsedTicks += 1
        if electionElapsedTicks >= options.electionTimeoutTicks {
            electionElapsedTicks = 0
            // CheckQuorum: a leader that has not heard from a quorum for an election timeout may be on
            // the wrong side of a partition; stepping down lets the majority side elect a new leader
            // without this one serving stale reads meanwhile.
            guard quorum.isSatisfied(by: { $0 == id || progress[$0]?.recentActive == true }) else {
                becomeFollower(term: term, leader: nil)
                return
            }
            for peer in peers {
                progress[peer]?.recentActive = false
            }
        }
        if heartbeatElapsedTicks >= options.heartbeatIntervalTicks {
            heartbeatElapsedTicks = 0
            // Reads that wait (freshness probes wait for this) share the heartbeat as their round.
            if reads.hasUnstartedReads && hasCommittedEntryOfTerm {
                startReadRound()
            } else {
                broadcastHeartbeat()
            }
        }
    }

    mutating func stepLeader(_ message: Message) {
        switch message.body {
        case .appendEntriesResponse(let response):
            handleAppendResponse(response, from: message.from)
            sendTimeoutNowIfCaughtUp()
        case .heartbeatResponse(let response):
            handleHeartbeatResponse(from: message.from)
            acknowledgeReadRound(response.readRound, from: message.from)
        case .appendEntries, .heartbeat, .requestVote, .requestVoteResponse, .forwardedProposal, .installSnapshotChunk,
            .readIndexRequest, .readIndexResponse, .timeoutNow:
            // Another leader in our term cannot exist; late vote answers are irrelevant now.
            break
        }
    }

    // MARK: Proposals

    mutating func appendProposal(_ payload: [UInt8]) throws(ProposalError) -> LogPosition {
        precondition(role == .leader, "only a leader appends proposals")
        // The transfer target must catch up with a log that stops growing (thesis §3.10).
        if let transfer { throw .transferInProgress(to: transfer.target) }
        guard uncommittedBytes + payload.count <= options.maxUncommittedBytes else {
            throw .uncommittedBytesLimitExceeded(limitBytes: options.maxUncommittedBytes)
        }
        let entry = Entry(index: log.lastIndex + 1, term: term, kind: .normal, payload: payload)
        uncommittedBytes += payload.count
        appendAsLeader(entry)
        hasUnsentProposals = true
        return entry.position
    }

    /// Proposals a follower passed on. Refused ones are dropped: the client's retry is the recovery.
    mutating func acceptForwarded(_ proposal: ForwardedProposal) {
        guard role == .leader else { return }
        let payloadLimitBytes = options.maxMessageBytes - Entry.headerBytes
        for payload in proposal.payloads where payload.count <= payloadLimitBytes {
            guard (try? appendProposal(payload)) != nil else { return }
        }
    }

    mutating func appendAsLeader(_ entry: Entry) {
        log.appendLast(entry)
        // Single-server rule: a configuration takes effect as soon as it is in the log.
        refreshConfiguration(afterAppending: [entry])
        // The leader's own match moves only when the runtime reports the entry durable (`logDurable`).
        progress[id]?.next = log.lastIndex + 1
        // A configuration entry may change the quorum, and a lone voter's quorum is itself.
        _ = commitIfQuorumReplicated()
    }

    /// The leader's own log is durable further: it counts toward commitment now.
    mutating func countOwnDurableLog() {
        precondition(role == .leader, "only a leader counts its own log")
        progress[id]?.match = log.durableIndex
        if commitIfQuorumReplicated() {
            broadcastAppend()
        }
    }

    // MARK: Replication

    /// Sends every follower what its window allows: new entries pipelined up to the inflight bounds,
    /// or else one empty append carrying the commit index.
    mutating func broadcastAppend() {
        for peer in replicationPeers where sendAppend(to: peer, allowEmpty: true) {
            fillPipeline(to: peer)
        }
    }

    /// Sends further batches to `peer` until its window is paused or nothing is left to send.
    mutating func fillPipeline(to peer: NodeID) {
        while sendAppend(to: peer, allowEmpty: false) {}
    }

    mutating func broadcastHeartbeat() {
        for peer in replicationPeers {
            guard let match = progress[peer]?.match else { continue }
            send(
                to: peer, term: term,
                .heartbeat(Heartbeat(commit: min(match, log.commitIndex), readRound: reads.latestRound)))
        }
    }

    /// Sends the next batch to `peer` unless its window is paused. An empty append (which only
    /// carries commit, or probes) is sent only when `allowEmpty`. Returns whether a message went out.
    @discardableResult
    mutating func sendAppend(to peer: NodeID, allowEmpty: Bool) -> Bool {
        guard var peerProgress = progress[peer], !peerProgress.isPaused else { return false }
        let previousIndex = peerProgress.next - 1
        // When the previous entry is compacted away, the follower gets the snapshot instead.
        guard let previousTerm = log.term(at: previousIndex) else {
            sendSnapshot(to: peer)
            return false
        }
        let batch = log.entries(
            from: peerProgress.next, maxCount: options.maxEntriesPerMessage, maxBytes: options.maxMessageBytes)
        guard !batch.isEmpty || allowEmpty else { return false }
        peerProgress.sent(
            lastIndex: batch.last?.index ?? previousIndex, entryCount: batch.count, bytes: batch.byteCount)
        progress[peer] = peerProgress
        let append = AppendEntries(
            previous: LogPosition(index: previousIndex, term: previousTerm),
            entries: batch,
            leaderCommit: log.commitIndex
        )
        send(to: peer, term: term, .appendEntries(append))
        return true
    }

    private mutating func handleAppendResponse(_ response: AppendEntriesResponse, from peer: NodeID) {
        guard var peerProgress = progress[peer] else { return }
        peerProgress.recentActive = true
        if response.isRejected {
            // Fast backtracking: resume after the last index where our log can match the follower's,
            // given its hint, skipping a whole conflicting term at once.
            // A hint lies at or before the rejected index; clamping keeps a bad one from doing harm.
            var resumeAfter = min(response.conflictHint.index, response.rejectedIndex)
            if response.conflictHint.term > 0 {
                resumeAfter = log.lastIndex(atOrBefore: resumeAfter, withTermAtMost: response.conflictHint.term)
            }
            let moved = peerProgress.backtrack(rejected: response.rejectedIndex, resumeAfter: resumeAfter)
            if moved && peerProgress.state == .replicate {
                peerProgress.becomeProbe()
            }
            progress[peer] = peerProgress
            if moved {
                sendAppend(to: peer, allowEmpty: true)
            }
            return
        }
        guard response.matchIndex <= log.lastIndex else { return }
        let wasPaused = peerProgress.isPaused
        let advanced = peerProgress.acknowledge(through: response.matchIndex)
        let probeAnswered = peerProgress.state == .probe && peerProgress.match == response.matchIndex
        guard advanced || probeAnswered else {
            progress[peer] = peerProgress
            return
        }
        switch peerProgress.state {
        case .probe: peerProgress.becomeReplicate()
        case .replicate: peerProgress.inflights.freeThrough(response.matchIndex)
        case .snapshot where peerProgress.match >= peerProgress.pendingSnapshotIndex: peerProgress.becomeReplicate()
        case .snapshot: break
        }
        progress[peer] = peerProgress
        if commitIfQuorumReplicated() {
            broadcastAppend()
        } else if wasPaused {
            sendAppend(to: peer, allowEmpty: true)
        }
        fillPipeline(to: peer)
    }

    private mutating func handleHeartbeatResponse(from peer: NodeID) {
        guard var peerProgress = progress[peer] else { return }
        peerProgress.recentActive = true
        peerProgress.probeSent = false
        // Acknowledgements may have been lost; free one slot so the next append tells us where it stands.
        if peerProgress.state == .replicate && peerProgress.inflights.isFull {
            peerProgress.inflights.freeOldest()
        }
        progress[peer] = peerProgress
        if peerProgress.match < log.lastIndex {
            sendAppend(to: peer, allowEmpty: true)
        }
    }

    /// Raft §5.4.2: advance commit to the highest index a quorum holds, but only if that entry is of
    /// the current term. Entries of earlier terms are committed indirectly, by the Log Matching
    /// property, when a later entry of this term commits — never by counting their replicas.
    mutating func commitIfQuorumReplicated() -> Bool {
        let quorumIndex = quorum.committedIndex { progress[$0]?.match ?? 0 }
        guard quorumIndex > log.commitIndex, log.term(at: quorumIndex) == term else { return false }
        let newlyCommitted = log.entries(
            from: log.commitIndex + 1, maxCount: Int(quorumIndex - log.commitIndex), maxBytes: Int.max)
        let releasedBytes = newlyCommitted.filter { $0.term == term }.reduce(0) { $0 + $1.payload.count }
        uncommittedBytes = max(0, uncommittedBytes - releasedBytes)
        log.commit(to: quorumIndex)
        return true
    }
}
