/// ReadIndex (Raft thesis §6.4): linearizable reads without writing to the log.
///
/// The leader records its commit index as the read's index, then confirms with one heartbeat round
/// that no newer leader existed when it did: every heartbeat carries the leader's latest read round
/// and every answer echoes it, so an answer to round r proves the peer still followed this leader
/// after the reads of round r were registered — a late answer to an earlier heartbeat proves nothing.
/// A follower forwards its reads to the leader and releases them when the leader answers.
extension RaftCore {
    /// Asks for a linearizable read. The outcome comes in a later `Ready`: a `ReadState` (serve the
    /// read once the state machine has applied through its index) or a `ReadFailure` (retry).
    ///
    /// A leader that has not yet committed an entry of its term keeps the read until it has (its
    /// commit index may lag entries earlier leaders committed). A follower forwards it to its leader.
    /// Refused at once when no leader is known or `maxPendingReads` reads already wait here.
    /// `context` must be unique among this member's pending reads.
    public mutating func readIndex(context: ReadContext) throws(ReadIndexError) {
        precondition(!Self.isFreshnessProbe(context), "contexts at or above freshnessProbeFlag are the core's own")
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        try registerRead(context: context)
    }

    /// Registers a read of the runtime or a freshness probe of the core (`RaftCore+Freshness`).
    mutating func registerRead(context: ReadContext) throws(ReadIndexError) {
        switch role {
        case .leader:
            guard reads.leaderReads.count < options.maxPendingReads else {
                throw .tooManyPendingReads(limit: options.maxPendingReads)
            }
            reads.leaderReads.append(ReadIndexState.LeaderRead(context: context, origin: .local))
        case .follower, .preCandidate, .candidate:
            guard let leader else { throw .noLeader }
            guard reads.forwardedReads.count < options.maxPendingReads else {
                throw .tooManyPendingReads(limit: options.maxPendingReads)
            }
            reads.forwardedReads.append(ReadIndexState.ForwardedRead(context: context, leader: leader))
            send(to: leader, term: term, .readIndexRequest(ReadIndexRequest(context: context)))
        }
    }

    /// Whether `ready()` has read outcomes to hand out or a confirmation round to start.
    var hasReadIndexWork: Bool {
        !reads.released.isEmpty || !reads.failed.isEmpty || shouldStartClientReadRound
    }

    /// Whether `ready()` starts a round for waiting reads of a runtime: as leader, with an entry of its term
    /// committed, and no round in flight. Reads that arrive while a round is out share the next one, started
    /// as soon as that round is confirmed — one quorum round per batch however many reads arrive (as etcd
    /// batches ReadIndex), instead of a heartbeat broadcast per `ready()` under load. A round whose messages
    /// are lost is not stuck: every heartbeat carries the latest round (`broadcastHeartbeat`).
    var shouldStartClientReadRound: Bool {
        role == .leader && hasUnstartedClientReads && hasCommittedEntryOfTerm && !hasReadRoundInFlight
    }

    /// Whether reads given a round wait for a quorum to echo it (started reads are a prefix of the list).
    var hasReadRoundInFlight: Bool {
        reads.leaderReads.first?.round != nil
    }

    /// Thesis §6.4 step 1: until a leader commits an entry of its own term, its commit index may be
    /// behind what earlier leaders committed, so it must not be used as a read index.
    var hasCommittedEntryOfTerm: Bool {
        log.term(at: log.commitIndex) == term
    }

    /// Whether a read of a runtime (not only freshness probes) waits for a round: it gets one at the next
    /// `ready()`. Probes alone wait for the next heartbeat (`tickLeader`), costing no round of their own.
    var hasUnstartedClientReads: Bool {
        // Unstarted reads are a suffix of the list (rounds are given in arrival order): look at those only.
        reads.leaderReads.reversed().prefix { $0.round == nil }.contains { !Self.isFreshnessProbe($0.context) }
    }

    /// Leader, from `ready()` (when a runtime's read waits) or a heartbeat tick: gives every read that
    /// waits for a round the current commit index and one new heartbeat round, so reads arriving between
    /// two Readies share one round.
    mutating func startReadRound() {
        guard role == .leader, reads.hasUnstartedReads, hasCommittedEntryOfTerm else { return }
        reads.latestRound += 1
        for position in reads.leaderReads.indices where reads.leaderReads[position].round == nil {
            reads.leaderReads[position].round = reads.latestRound
            reads.leaderReads[position].index = log.commitIndex
        }
        broadcastHeartbeat()
        // A single voter is its own quorum: its reads are confirmed now.
        releaseConfirmedReads()
    }

    /// Leader: a follower's read, answered after a round confirms it.
    mutating func answerReadIndexRequest(_ request: ReadIndexRequest, from follower: NodeID) {
        guard role == .leader, reads.leaderReads.count < options.maxPendingReads else {
            send(to: follower, term: term, .readIndexResponse(ReadIndexResponse(context: request.context, index: nil)))
            return
        }
        reads.leaderReads.append(ReadIndexState.LeaderRead(context: request.context, origin: .follower(follower)))
    }

    /// Leader: `peer` answered a heartbeat of `round`.
    mutating func acknowledgeReadRound(_ round: UInt64, from peer: NodeID) {
        // A round this leadership never sent is a malformed answer; a lower one is old news.
        guard role == .leader, round <= reads.latestRound, round > reads.acknowledgedRounds[peer, default: 0] else {
            return
        }
        reads.acknowledgedRounds[peer] = round
        releaseConfirmedReads()
    }

    /// Releases, in order, every read whose round a quorum (this leader included) has echoed.
    private mutating func releaseConfirmedReads() {
        while let read = reads.leaderReads.first, let round = read.round,
            quorum.isSatisfied(by: { $0 == id || reads.acknowledgedRounds[$0, default: 0] >= round })
        {
            reads.leaderReads.removeFirst()
            switch read.origin {
            case .local where Self.isFreshnessProbe(read.context):
                probeAnswered(context: read.context, index: read.index)
            case .local:
                reads.released.append(ReadState(context: read.context, index: read.index))
            case .follower(let follower):
                send(
                    to: follower, term: term,
                    .readIndexResponse(ReadIndexResponse(context: read.context, index: read.index)))
            }
        }
    }

    /// Follower: the leader answered one of our forwarded reads. `observeTerm` has made sure the
    /// answer is of our term, so it comes from the leader we forwarded to.
    mutating func completeForwardedRead(_ response: ReadIndexResponse, from sender: NodeID) {
        guard
            let position = reads.forwardedReads.firstIndex(where: {
                $0.context == response.context && $0.leader == sender
            })
        else {
            return
        }
        reads.forwardedReads.remove(at: position)
        if Self.isFreshnessProbe(response.context) {
            if let index = response.index {
                probeAnswered(context: response.context, index: index)
            } else {
                probeFailed(context: response.context)
            }
        } else if let index = response.index {
            reads.released.append(ReadState(context: response.context, index: index))
        } else {
            reads.failed.append(ReadFailure(context: response.context, reason: .refusedByLeader))
        }
    }

    /// Every tick: a forwarded read whose answer was lost fails after an election timeout, so the
    /// follower's list stays bounded even when its leader silently drops reads.
    mutating func tickReads() {
        guard !reads.forwardedReads.isEmpty else { return }
        for position in reads.forwardedReads.indices {
            reads.forwardedReads[position].elapsedTicks += 1
        }
        let expired = reads.forwardedReads.filter { $0.elapsedTicks >= options.electionTimeoutTicks }
        reads.forwardedReads.removeAll { $0.elapsedTicks >= options.electionTimeoutTicks }
        for read in expired { failRead(read.context, .timedOut) }
    }

    /// On every term or role change: a leader's reads lose the leadership that would confirm them, a
    /// follower's the leader that would answer them. Followers' reads on a leader are dropped; their
    /// followers notice the change or time out.
    mutating func abandonReads() {
        let local =
            reads.leaderReads.filter { $0.origin == .local }.map(\.context) + reads.forwardedReads.map(\.context)
        for context in local { failRead(context, .leadershipChanged) }
        reads.leaderReads.removeAll()
        reads.forwardedReads.removeAll()
        reads.latestRound = 0
        reads.acknowledgedRounds.removeAll()
    }

    /// A read that will not be released: the runtime's is reported in the next Ready, a probe forgotten.
    private mutating func failRead(_ context: ReadContext, _ reason: ReadFailure.Reason) {
        if Self.isFreshnessProbe(context) {
            probeFailed(context: context)
        } else {
            reads.failed.append(ReadFailure(context: context, reason: reason))
        }
    }

    /// Hands the outcomes accumulated since the last `ready()` to it.
    mutating func takeReadOutcomes(into ready: inout Ready) {
        ready.readStates = reads.released
        ready.failedReads = reads.failed
        reads.released.removeAll()
        reads.failed.removeAll()
    }

    func checkReadIndexInvariants() {
        precondition(reads.leaderReads.count <= options.maxPendingReads, "more leader reads than maxPendingReads")
        precondition(reads.forwardedReads.count <= options.maxPendingReads, "more forwarded reads than maxPendingReads")
        precondition(
            role == .leader || (reads.leaderReads.isEmpty && reads.latestRound == 0), "leader reads outside leadership")
        precondition(role != .leader || reads.forwardedReads.isEmpty, "a leader forwards no reads")
        var previousRound: UInt64 = 0
        for read in reads.leaderReads {
            guard let round = read.round else { break }
            precondition(round >= previousRound && round <= reads.latestRound, "read rounds out of order")
            precondition(read.index <= log.commitIndex, "a read index beyond the commit index")
            previousRound = round
        }
        precondition(
            reads.leaderReads.drop { $0.round != nil }.allSatisfy { $0.round == nil },
            "an unstarted read before a started one")
    }
}
