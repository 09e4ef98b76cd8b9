import RaftCore
import Testing

/// Log replication (Raft §5.3), commitment (§5.4.2), flow control and proposals.
@Suite("Raft replication")
struct ReplicationTests {
    static func payload(_ byte: UInt8, bytes: Int = 8) -> [UInt8] {
        Array(repeating: byte, count: bytes)
    }

    @Test("a follower rejects an append that does not match prevLogIndex/term, and keeps its log")
    func followerRejectsMismatchedAppend() {
        let stored = Entry.run(1...2, term: 1)
        var cluster = ScenarioCluster(stored: [2: (HardState(term: 2), stored)])
        for previous in [LogPosition(index: 3, term: 1), LogPosition(index: 2, term: 2)] {
            let append = AppendEntries(
                previous: previous, entries: [Entry(index: previous.index + 1, term: 2, kind: .normal)], leaderCommit: 0
            )
            let replies = cluster.answer(
                2, to: Message(from: NodeID(1), to: NodeID(2), term: 2, body: .appendEntries(append)))
            guard case .appendEntriesResponse(let response)? = replies.first?.body else {
                Issue.record("expected an append response, got \(replies)")
                continue
            }
            #expect(response.isRejected)
            #expect(response.rejectedIndex == previous.index)
            #expect(cluster[2].entries == stored)
        }
    }

    @Test("a malformed append (a gap between entries, or an entry from a later term) is dropped unanswered")
    func malformedAppendDropped() {
        var cluster = ScenarioCluster()
        let gapped = [Entry(index: 1, term: 1, kind: .normal), Entry(index: 3, term: 1, kind: .normal)]
        let fromTheFuture = [Entry(index: 1, term: 9, kind: .normal)]
        for entries in [gapped, fromTheFuture] {
            let append = AppendEntries(previous: .origin, entries: entries, leaderCommit: 3)
            #expect(
                cluster.answer(2, to: Message(from: NodeID(1), to: NodeID(2), term: 1, body: .appendEntries(append)))
                    .isEmpty)
            #expect(cluster[2].entries.isEmpty && cluster[2].commitIndex == 0)
        }
    }

    @Test("a follower replaces a conflicting suffix but keeps entries a stale duplicate append repeats")
    func followerTruncatesOnlyConflicts() {
        var cluster = ScenarioCluster(stored: [
            2: (HardState(term: 3), Entry.run(1...2, term: 1) + Entry.run(3...4, term: 2))
        ])
        let newer = Entry.run(3...5, term: 3)
        let append = AppendEntries(previous: LogPosition(index: 2, term: 1), entries: newer, leaderCommit: 0)
        _ = cluster.answer(2, to: Message(from: NodeID(1), to: NodeID(2), term: 3, body: .appendEntries(append)))
        #expect(cluster[2].entries == Entry.run(1...2, term: 1) + newer)
        let stale = AppendEntries(
            previous: LogPosition(index: 2, term: 1), entries: Array(newer.prefix(1)), leaderCommit: 0)
        _ = cluster.answer(2, to: Message(from: NodeID(1), to: NodeID(2), term: 3, body: .appendEntries(stale)))
        #expect(cluster[2].entries == Entry.run(1...2, term: 1) + newer, "a repeated prefix must not truncate")
    }

    @Test("fast backtracking skips a whole conflicting term in one round trip")
    func fastBacktrackingSkipsConflictingTerm() {
        let leaderLog = Entry.run(1...2, term: 1) + Entry.run(3...12, term: 3)
        var cluster = ScenarioCluster(stored: [
            1: (HardState(term: 3), leaderLog),
            2: (HardState(term: 2), Entry.run(1...2, term: 1) + Entry.run(3...10, term: 2)),
            3: (HardState(term: 3), leaderLog),
        ])
        cluster.campaign(1)
        #expect(cluster[1].role == .leader)
        let rejectionsFromFollower = cluster.delivered.filter { message in
            if message.from == NodeID(2), case .appendEntriesResponse(let response) = message.body {
                return response.isRejected
            }
            return false
        }
        #expect(rejectionsFromFollower.count == 1, "eight conflicting entries of term 2 cost one rejection, not eight")
        #expect(cluster[2].entries == cluster[1].entries)
    }

    @Test("a leader never commits a previous-term entry by counting")
    func noCommitOfPreviousTermByCounting() {
        // Raft Figure 8: n1 holds 2@2 from an old term, n3 holds a competing 2@3. When n1 leads term 4
        // and 2@2 reaches a majority, it must still not count as committed: n3 could yet be elected and
        // overwrite it. Only once the leader's own 3@4 is on a majority does commit move (to 3).
        var options = RaftOptions()
        options.maxEntriesPerMessage = 1
        let common = Entry.run(1...1, term: 1)
        var cluster = ScenarioCluster(
            options: options,
            stored: [
                1: (HardState(term: 3, commit: 1), common + Entry.run(2...2, term: 2)),
                2: (HardState(term: 3, commit: 1), common),
                3: (HardState(term: 3, commit: 1), common + Entry.run(2...2, term: 3)),
            ])
        cluster.isolated = [NodeID(3)]
        for _ in 0..<(2 * options.electionTimeoutTicks) where cluster[1].role == .follower {
            cluster.tick(1)
        }
        var sawOldEntryOnMajority = false
        for _ in 0..<ScenarioCluster.maxSettleRounds where !cluster.inFlight.isEmpty {
            cluster.deliverRound()
            if cluster[1].role == .leader, cluster[1].replicationStatus(of: NodeID(2))?.match == 2 {
                sawOldEntryOnMajority = true
                #expect(cluster[1].commitIndex == 1, "2@2 is on a majority but is not of the leader's term")
            }
        }
        #expect(sawOldEntryOnMajority)
        #expect(cluster[1].role == .leader && cluster[1].term == 4)
        #expect(cluster[1].commitIndex == 3, "committing 3@4 commits 2@2 with it")
    }

    @Test("followers learn commit from heartbeats, never beyond what they hold")
    func heartbeatCommitIsCappedByMatch() {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        cluster.isolated = [NodeID(3)]
        _ = try? cluster.propose(1, Self.payload(1))
        cluster.settle()
        #expect(cluster[1].commitIndex == 2)
        cluster.isolated = []
        cluster.tick(1)
        let heartbeatCommits = cluster.inFlight.compactMap { message -> LogIndex? in
            if message.to == NodeID(3), case .heartbeat(let heartbeat) = message.body { return heartbeat.commit }
            return nil
        }
        #expect(
            !heartbeatCommits.isEmpty && heartbeatCommits.allSatisfy { $0 == 1 },
            "n3 holds only up to 1, so every heartbeat says commit 1: \(heartbeatCommits)")
        cluster.settle()
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[3].commitIndex == 2)
        #expect(cluster[3].entries == cluster[1].entries)
    }

    @Test("pipelined appends to one follower stay within maxInflightMessages")
    func inflightWindowBoundsPipelining() {
        var options = RaftOptions()
        options.maxInflightMessages = 2
        options.maxEntriesPerMessage = 1
        var cluster = ScenarioCluster(options: options)
        cluster.campaign(1)
        for byte in 1...6 as ClosedRange<UInt8> {
            _ = try? cluster.propose(1, Self.payload(byte))
        }
        cluster.collect(1)
        let appendsToFollower = cluster.inFlight.filter { message in
            if message.to == NodeID(2), case .appendEntries(let append) = message.body {
                return !append.entries.isEmpty
            }
            return false
        }
        #expect(appendsToFollower.count == 2)
        #expect(cluster[1].replicationStatus(of: NodeID(2))?.inflightMessages == 2)
        cluster.settle()
        #expect(cluster[2].entries == cluster[1].entries, "acknowledgements reopen the window until all is sent")
        #expect(cluster[1].commitIndex == 7)
    }

    @Test("appends respect maxMessageBytes but always carry at least one entry")
    func appendsRespectMessageBytes() {
        var options = RaftOptions()
        options.maxMessageBytes = 2 * (Entry.headerBytes + 8)
        var cluster = ScenarioCluster(options: options)
        cluster.campaign(1)
        cluster.isolated = [NodeID(2), NodeID(3)]
        for byte in 1...5 as ClosedRange<UInt8> {
            _ = try? cluster.propose(1, Self.payload(byte))
        }
        cluster.isolated = []
        cluster.tick(1)
        cluster.settle()
        let batchSizes = cluster.delivered.compactMap { message -> Int? in
            if case .appendEntries(let append) = message.body, !append.entries.isEmpty {
                return append.entries.byteCount
            }
            return nil
        }
        #expect(!batchSizes.isEmpty)
        #expect(batchSizes.allSatisfy { $0 <= options.maxMessageBytes })
        #expect(cluster[2].entries == cluster[1].entries)
    }

    @Test("proposals beyond maxUncommittedBytes are refused until earlier ones commit")
    func uncommittedBytesBound() throws {
        var options = RaftOptions()
        options.maxUncommittedBytes = 100
        var cluster = ScenarioCluster(options: options)
        cluster.campaign(1)
        cluster.isolated = [NodeID(2), NodeID(3)]
        _ = try cluster.propose(1, Self.payload(1, bytes: 40))
        _ = try cluster.propose(1, Self.payload(2, bytes: 40))
        #expect(throws: ProposalError.uncommittedBytesLimitExceeded(limitBytes: 100)) {
            _ = try cluster.propose(1, Self.payload(3, bytes: 40))
        }
        #expect(cluster[1].uncommittedPayloadBytes == 80)
        cluster.isolated = []
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[1].uncommittedPayloadBytes == 0)
        _ = try cluster.propose(1, Self.payload(3, bytes: 40))
    }

    @Test("a payload larger than one message may carry is refused")
    func oversizedPayloadRefused() {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        let limit = cluster[1].options.maxMessageBytes - Entry.headerBytes
        #expect(throws: ProposalError.payloadTooLarge(payloadBytes: limit + 1, limitBytes: limit)) {
            _ = try cluster.propose(1, Self.payload(1, bytes: limit + 1))
        }
    }

    @Test("a follower forwards a proposal to its leader, which replicates it")
    func proposalForwarding() throws {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        let outcome = try cluster.propose(2, Self.payload(7))
        #expect(outcome == .forwarded(to: NodeID(1)))
        cluster.settle()
        #expect(cluster[1].entries.last?.payload == Self.payload(7))
        cluster.tick(1)
        cluster.settle()
        #expect(cluster[2].commitIndex == 2)
    }

    @Test("a member that knows no leader refuses proposals at once")
    func proposalWithoutLeaderRefused() {
        var cluster = ScenarioCluster()
        #expect(throws: ProposalError.noLeader) {
            _ = try cluster.propose(2, Self.payload(1))
        }
    }

    @Test(
        "a lone voter commits only what its own write reported durable, and hands each entry out for applying once, in order"
    )
    func committedEntriesHandedOutOnce() throws {
        var core = RaftCore(id: NodeID(1), configuration: MembershipConfiguration(voters: [NodeID(1)]), randomSeed: 1)
        for _ in 0..<(2 * core.options.electionTimeoutTicks) where core.role != .leader {
            core.tick()
        }
        #expect(core.role == .leader)
        _ = try? core.propose(Self.payload(1))
        let first = core.ready()
        #expect(first.entriesToAppend.map(\.index) == [1, 2])
        #expect(first.committedEntries.isEmpty, "nothing is committed before the leader's own write is durable")
        core.logDurable(through: try #require(first.persistedThrough))
        #expect(core.ready().committedEntries.map(\.index) == [1, 2])
        _ = try? core.propose(Self.payload(2))
        let second = core.ready()
        #expect(second.entriesToAppend.map(\.index) == [3])
        #expect(second.committedEntries.isEmpty)
        core.logDurable(through: try #require(second.persistedThrough))
        #expect(core.ready().committedEntries.map(\.index) == [3])
        #expect(!core.hasReady)
    }

    @Test("a leader sends appends before its own write is durable, and counts itself toward commitment only once it is")
    func leaderCountsItselfOnlyWhenDurable() throws {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        var leader = cluster[1]
        let before = leader.commitIndex
        // The leader's proposal Ready: its appends may leave before the write completes.
        _ = try leader.propose(Self.payload(7))
        let ready = leader.ready()
        let appends = ready.messages.filter { if case .appendEntries = $0.body { true } else { false } }
        #expect(appends.count == 2 && appends.allSatisfy(\.maySendBeforePersisting))
        // One follower acknowledges; with the leader's own copy not yet durable that is 1 of 3.
        var follower = cluster[2]
        let append = try #require(appends.first { $0.to == NodeID(2) })
        follower.step(append)
        let acknowledgement = try #require(follower.ready().messages.first)
        leader.step(acknowledgement)
        #expect(leader.commitIndex == before, "committed with one durable copy")
        // The leader's write completes: 2 of 3 durable copies.
        leader.logDurable(through: try #require(ready.persistedThrough))
        #expect(leader.commitIndex == ready.persistedThrough?.index)
    }

    @Test(
        "a follower sends the proposals it gathered between two Readies to the leader in one message, and the leader appends them all"
    )
    func forwardedProposalsBatched() throws {
        var cluster = ScenarioCluster()
        cluster.campaign(1)
        let lastBefore = cluster[1].lastPosition.index
        try cluster.act(2) { (core: inout RaftCore) throws(ProposalError) in
            for value in 1...3 { _ = try core.propose(Self.payload(UInt8(value))) }
        }
        let forwards = cluster.inFlight.filter { if case .forwardedProposal = $0.body { true } else { false } }
        #expect(forwards.count == 1)
        #expect(
            forwards.first.map {
                if case .forwardedProposal(let proposal) = $0.body { proposal.payloads.count } else { 0 }
            } == 3)
        cluster.settle()
        #expect(cluster[1].lastPosition.index == lastBefore + 3)
        #expect(cluster[2].commitIndex == lastBefore + 3)
    }
}
