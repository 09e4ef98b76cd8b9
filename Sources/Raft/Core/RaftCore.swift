/// One Raft member's consensus state machine, as a plain value: no I/O, no clock, no threads.
///
/// The runtime feeds it `tick()` (time), `step(_:)` (messages from peers) and `propose(_:)` (commands),
/// then drains `ready()` and carries out what it says — persist, then send, then apply. Because the
/// core is deterministic given its inputs and its seed, a simulator can drive many of them through
/// crashes and partitions and replay any failure exactly.
///
/// Reading guide, against the Raft paper: `RaftCore+Transitions` (becomeFollower/PreCandidate/
/// Candidate/Leader), `RaftCore+Election` (§5.2, §5.4.1, PreVote, stepCandidate), `RaftCore+Leader`
/// (§5.3, §5.4.2, CheckQuorum, stepLeader), `RaftCore+Follower` (AppendEntries receiver, stepFollower).
public struct RaftCore: Sendable {
    public let id: NodeID
    public let options: RaftOptions
    public internal(set) var configuration: MembershipConfiguration
    public internal(set) var term: Term
    /// Whom this member voted for in `term`, if anyone.
    public internal(set) var vote: NodeID?
    public internal(set) var role: RaftRole = .follower
    /// The leader of `term` as far as this member knows.
    public internal(set) var leader: NodeID?

    var log: RaftLog
    var random: DeterministicRandom
    var electionElapsedTicks = 0
    var heartbeatElapsedTicks = 0
    var randomizedElectionTimeoutTicks = 0
    /// Answers received in the current (pre-)election.
    var votes: [NodeID: Bool] = [:]
    /// Leader only: the replication state of every voter, this member included.
    var progress: [NodeID: Progress] = [:]
    /// Leader only: payload bytes appended in this term and not yet committed (bounded by
    /// `maxUncommittedBytes`).
    var uncommittedBytes = 0
    var outbox: [Message] = []
    /// Leader only: proposals were appended since the last `ready()`; they go out batched then.
    var hasUnsentProposals = false
    /// Follower: proposals for the leader since the last `ready()`, sent then in as few messages as fit.
    var proposalsToForward: [[UInt8]] = []
    var lastReadyHardState: HardState
    var lastReadyRoleState: RoleState
    /// The latest snapshot and what of it the runtime must install or send (`RaftCore+Snapshot`).
    var snapshots: SnapshotState
    /// Where the configuration in force comes from (`RaftCore+Membership`).
    var membership: MembershipState
    /// ReadIndex reads waiting for confirmation, and outcomes for the next Ready (`RaftCore+ReadIndex`).
    var reads = ReadIndexState()
    /// Leader only: the leadership transfer in progress (`RaftCore+Transfer`).
    var transfer: LeadershipTransfer?
    /// Follower only: the transport reported the leader's connection lost (`RaftCore+Failover`).
    var failover = FailoverState()
    /// Freshness probes and the witness of this member's bounded-staleness reads (`RaftCore+Freshness`).
    var freshness = FreshnessState()

    /// Builds a member from what its storage holds: the durable hard state and log (entries after
    /// `boundary`), the index the state machine has applied durably, and the metadata of the latest
    /// snapshot saved (required once anything was compacted). A new member passes the defaults.
    /// `configuration` is the bootstrap membership; the snapshot's and then the log's configuration
    /// entries take precedence. `randomSeed` makes its election timeouts reproducible; give each member its own.
    public init(
        id: NodeID,
        configuration: MembershipConfiguration,
        options: RaftOptions = RaftOptions(),
        hardState: HardState = .initial,
        entries: [Entry] = [],
        boundary: LogPosition = .origin,
        appliedIndex: LogIndex = 0,
        snapshot: SnapshotMetadata? = nil,
        randomSeed: UInt64
    ) {
        options.validate()
        precondition(
            boundary.index == 0 || (snapshot?.index ?? 0) >= boundary.index,
            "a compacted log needs the snapshot that covers it")
        precondition(
            appliedIndex >= (snapshot?.index ?? 0),
            "the state machine holds the snapshot, so it applied at least its index")
        precondition(
            entries.last.map { $0.term <= hardState.term } ?? true,
            "stored entries from a term later than the stored term")
        self.id = id
        self.options = options
        self.configuration = configuration
        self.term = hardState.term
        self.vote = hardState.vote
        self.log = RaftLog(
            boundary: boundary, entries: entries, commitIndex: max(hardState.commit, appliedIndex),
            appliedIndex: appliedIndex)
        self.random = DeterministicRandom(seed: randomSeed)
        self.lastReadyHardState = hardState
        self.lastReadyRoleState = RoleState(role: .follower, leader: nil, term: hardState.term)
        self.snapshots = SnapshotState(latest: snapshot)
        self.freshness.appliedThrough = appliedIndex
        // Probe numbers start at random in each incarnation: a late answer to the previous incarnation's
        // probe (its leader may answer after this member restarted) must not be taken for a new one's.
        self.freshness.nextProbe = 1 + self.random.next() >> 2
        self.membership = MembershipState(
            base: snapshot?.configuration ?? configuration, position: snapshot?.position ?? boundary)
        refreshConfiguration()
        resetRandomizedElectionTimeout()
        lastReadyHardState = self.hardState
        checkInvariants(termBefore: term)
    }

    // MARK: - Inputs

    /// Advances logical time by one tick: followers and candidates count towards an election,
    /// leaders towards a heartbeat and a CheckQuorum round.
    public mutating func tick() {
        let termBefore = term
        // First, so that a leader's own probe rides this tick's heartbeat round.
        tickFreshness()
        switch role {
        case .leader: tickLeader()
        case .follower, .preCandidate, .candidate: tickElection()
        }
        tickTransfer()
        tickFailover()
        tickReads()
        checkInvariants(termBefore: termBefore)
    }

    /// Handles one message from a peer. Malformed or stale messages are dropped, never trusted.
    public mutating func step(_ message: Message) {
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        guard message.to == id, message.from != id else { return }
        // Snapshot chunks are the runtime's business; it calls `restore` once it holds them all.
        if case .installSnapshotChunk = message.body { return }
        if case .forwardedProposal(let proposal) = message.body {
            acceptForwarded(proposal)
            return
        }
        guard observeTerm(of: message) else { return }
        switch message.body {
        case .requestVote(let request):
            answerVoteRequest(request, from: message.from, requestTerm: message.term)
            return
        case .readIndexRequest(let request):
            answerReadIndexRequest(request, from: message.from)
            return
        case .readIndexResponse(let response):
            completeForwardedRead(response, from: message.from)
            return
        default:
            break
        }
        switch role {
        case .leader: stepLeader(message)
        case .candidate, .preCandidate: stepCandidate(message)
        case .follower: stepFollower(message)
        }
    }

    /// The runtime reports that the write holding `position` — the last entry of a `Ready` it persisted
    /// (`Ready.persistedThrough`) — and every write before it are durable. A leader counts its own log
    /// toward commitment only this far (Raft thesis §10.2.1), which is what lets it send a `Ready`'s
    /// appends before its own write completes (`Message.maySendBeforePersisting`).
    public mutating func logDurable(through position: LogPosition) {
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        guard log.markDurable(through: position), role == .leader else { return }
        countOwnDurableLog()
    }

    /// Offers a command for replication. A leader appends it (sent in the next `ready()`, batched with
    /// other proposals); a follower forwards it to its leader; otherwise it is refused at once.
    public mutating func propose(_ payload: [UInt8]) throws(ProposalError) -> ProposalOutcome {
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        let payloadLimitBytes = options.maxMessageBytes - Entry.headerBytes
        guard payload.count <= payloadLimitBytes else {
            throw .payloadTooLarge(payloadBytes: payload.count, limitBytes: payloadLimitBytes)
        }
        switch role {
        case .leader:
            return .appended(try appendProposal(payload))
        case .follower, .preCandidate, .candidate:
            guard let leader else { throw .noLeader }
            proposalsToForward.append(payload)
            return .forwarded(to: leader)
        }
    }

    /// Sends the proposals gathered since the last `ready()` to the leader, as many per message as
    /// `maxMessageBytes` allows: under load most proposals reach a follower, and one message per
    /// proposal would cost the leader a frame, a decode and a step each. Without a leader (it changed or
    /// was lost meanwhile) they are dropped, as a lost message would be: the runtime offers them again.
    mutating func forwardProposals() {
        defer { proposalsToForward.removeAll() }
        guard role != .leader, let leader else { return }
        var batch: [[UInt8]] = []
        var batchBytes = 0
        for payload in proposalsToForward {
            let payloadBytes = payload.count + Entry.headerBytes
            if !batch.isEmpty && batchBytes + payloadBytes > options.maxMessageBytes {
                send(to: leader, term: term, .forwardedProposal(ForwardedProposal(payloads: batch)))
                batch.removeAll()
                batchBytes = 0
            }
            batch.append(payload)
            batchBytes += payloadBytes
        }
        if !batch.isEmpty { send(to: leader, term: term, .forwardedProposal(ForwardedProposal(payloads: batch))) }
    }

    // MARK: - Output

    /// Whether `ready()` would return anything.
    public var hasReady: Bool {
        hasUnsentProposals || !proposalsToForward.isEmpty || hardState != lastReadyHardState || log.hasUnpersisted
            || !outbox.isEmpty
            || log.hasUnapplied || roleState != lastReadyRoleState || snapshots.hasOutput || hasReadIndexWork
            || !freshness.issued.isEmpty
    }

    /// Takes everything accumulated since the last call. The caller must carry it out as `Ready`
    /// documents before handling the next one; the core assumes it will.
    public mutating func ready() -> Ready {
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        if hasUnsentProposals {
            hasUnsentProposals = false
            broadcastAppend()
        }
        if !proposalsToForward.isEmpty { forwardProposals() }
        if shouldStartClientReadRound { startReadRound() }
        var ready = Ready()
        if hardState != lastReadyHardState {
            ready.hardState = hardState
            lastReadyHardState = hardState
        }
        ready.snapshotToInstall = snapshots.toInstall
        snapshots.toInstall = nil
        ready.entriesToAppend = log.takeUnpersisted()
        ready.messages = outbox
        outbox.removeAll()
        ready.snapshotsToSend = snapshots.toSend
        snapshots.toSend.removeAll()
        ready.committedEntries = log.takeCommittedUnapplied(maxBytes: options.maxReadyApplyBytes)
        takeReadOutcomes(into: &ready)
        takeIssuedProbes(into: &ready)
        if roleState != lastReadyRoleState {
            ready.roleChange = roleState
            lastReadyRoleState = roleState
        }
        return ready
    }

    // MARK: - Observation

    public var hardState: HardState { HardState(term: term, vote: vote, commit: log.commitIndex) }
    public var roleState: RoleState { RoleState(role: role, leader: leader, term: term) }
    public var commitIndex: LogIndex { log.commitIndex }
    /// Entries up to here have been handed out for applying.
    public var appliedIndex: LogIndex { log.appliedIndex }
    public var lastPosition: LogPosition { log.lastPosition }
    public var firstIndex: LogIndex { log.firstIndex }
    /// The in-memory log (after the compaction boundary), for inspection by tests and simulators.
    public var entries: [Entry] { log.entries }
    public var uncommittedPayloadBytes: Int { uncommittedBytes }

    public func term(at index: LogIndex) -> Term? {
        log.term(at: index)
    }

    /// Leader only: what this leader knows about `peer`'s log.
    public func replicationStatus(of peer: NodeID) -> ReplicationStatus? {
        progress[peer].map {
            ReplicationStatus(match: $0.match, next: $0.next, state: $0.state, inflightMessages: $0.inflights.count)
        }
    }

    // MARK: - Shared helpers

    mutating func send(to peer: NodeID, term messageTerm: Term, _ body: MessageBody) {
        precondition(peer != id, "a member never messages itself")
        outbox.append(Message(from: id, to: peer, term: messageTerm, body: body))
    }

    var quorum: MajorityQuorum { MajorityQuorum(voters: configuration.voters) }

    /// The other voters: whom elections ask.
    var peers: [NodeID] { configuration.voters.filter { $0 != id } }

    /// The other voters and the learners: whom a leader replicates to.
    var replicationPeers: [NodeID] { configuration.members.filter { $0 != id } }

    mutating func resetRandomizedElectionTimeout() {
        let timeout = options.electionTimeoutTicks
        randomizedElectionTimeoutTicks = timeout + random.next(in: 0..<timeout)
    }
}

/// A leader's view of one follower, for observation.
public struct ReplicationStatus: Sendable, Equatable {
    public var match: LogIndex
    public var next: LogIndex
    public var state: ReplicationState
    public var inflightMessages: Int
}
