/// Everything the core asks of its runtime after a batch of inputs. The runtime carries out each
/// `Ready` in the order of its fields below. It may keep stepping the core and taking further Readies
/// while earlier ones are still being persisted (and may persist several in one write), provided
/// Readies become durable in the order the core returned them and nothing of a Ready is sent or applied
/// before it and every earlier Ready are durable — with one exception, a leader's appends
/// (`Message.maySendBeforePersisting`). Once a Ready's write is durable, the runtime reports
/// `persistedThrough` to `RaftCore.logDurable(through:)`. The simulator runs exactly this model, with
/// crashes that lose every write not yet durable.
public struct Ready: Sendable, Equatable {
    /// 1. Persist first. New hard state (term, vote, commit), or nil when unchanged. It must be durable
    ///    before any of `messages` is sent: a vote or term that is forgotten after a crash lets this
    ///    member vote twice in one term.
    public var hardState: HardState?
    /// 1. Persist first, in the same durable write as `hardState`. Entries to append; when the first
    ///    one's index is at or below the stored last index, the stored suffix from that index is
    ///    replaced (a conflicting suffix written by an old leader). Durable before `messages` are sent,
    ///    because an append acknowledgement promises the follower holds them.
    public var entriesToAppend: [Entry]
    /// 1. Persist first, in the same durable write and BEFORE `entriesToAppend`: a snapshot this member
    ///    accepted in `restore(_:from:term:)`. Atomically: make the received snapshot bytes the state
    ///    machine (its applied index becomes `index`), remember the metadata (restart passes it back as
    ///    `snapshot:`), and reset the stored log — if it holds `index` with `term`, compact through
    ///    `index`; otherwise drop every stored entry and make `position` the boundary.
    public var snapshotToInstall: SnapshotMetadata?
    /// 2. Send only after 1 is durable. Each message may depend on the writes of this Ready or an earlier
    ///    one. Order between messages does not matter; losing any of them is safe (Raft retries).
    ///    Exception: messages with `maySendBeforePersisting` may leave at once, while 1 is being written,
    ///    provided their term is already durable (it always is for a leader: it asked for votes only
    ///    after persisting its term and vote).
    public var messages: [Message]
    /// 2. With `messages`: peers that need this leader's latest snapshot (the one whose metadata the
    ///    runtime passed to `compact(through:snapshot:)`, or a newer one saved since). Stream its bytes to each as bounded
    ///    `.installSnapshotChunk` messages, in this Ready's term; losing any is safe (the core retries
    ///    after `snapshotTimeoutTicks`).
    public var snapshotsToSend: [SnapshotSend]
    /// 3. Apply after 1, in index order. Entries known committed; every one of them is in this or an
    ///    earlier Ready's `entriesToAppend` (or in storage at start).
    public var committedEntries: [Entry]
    /// Informational: the member's role and known leader when they changed in this batch, else nil.
    /// Needs no persisting; lets the runtime route clients and fail waiting proposals promptly.
    public var roleChange: RoleState?
    /// 4. Reads cleared by ReadIndex (`readIndex(context:)`). The runtime answers each read only once
    ///    its state machine has applied through `index` (after this Ready's `committedEntries` or
    ///    later ones), from that state; answering earlier could miss a write that completed before the
    ///    read began. Needs no persisting.
    public var readStates: [ReadState] = []
    /// 4. Reads the core gave up on (leadership changed, leader refused, no answer within an election
    ///    timeout). The runtime answers them with a retryable error. A read neither released nor failed
    ///    is still pending; the runtime may time it out by itself.
    public var failedReads: [ReadFailure] = []
    /// 4. Freshness probes the core issued in this batch (`RaftCore+Freshness`), oldest first. The runtime
    ///    notes its clock time for each when it takes this Ready — before any of its messages is sent, so
    ///    the time is no later than the probe's departure — and judges `freshnessWitness` by it.
    public var freshnessProbesIssued: [UInt64] = []

    public init(
        hardState: HardState? = nil,
        entriesToAppend: [Entry] = [],
        snapshotToInstall: SnapshotMetadata? = nil,
        messages: [Message] = [],
        snapshotsToSend: [SnapshotSend] = [],
        committedEntries: [Entry] = [],
        roleChange: RoleState? = nil
    ) {
        self.hardState = hardState
        self.entriesToAppend = entriesToAppend
        self.snapshotToInstall = snapshotToInstall
        self.messages = messages
        self.snapshotsToSend = snapshotsToSend
        self.committedEntries = committedEntries
        self.roleChange = roleChange
    }

    /// True when there is nothing to persist, send or apply.
    public var isEmpty: Bool {
        hardState == nil && entriesToAppend.isEmpty && snapshotToInstall == nil && messages.isEmpty
            && snapshotsToSend.isEmpty
            && committedEntries.isEmpty && roleChange == nil && readStates.isEmpty && failedReads.isEmpty
            && freshnessProbesIssued.isEmpty
    }

    /// What to report to `RaftCore.logDurable(through:)` once this Ready's write is durable: its last
    /// appended entry, else the position of the snapshot it installs; nil when it adds nothing to the log.
    public var persistedThrough: LogPosition? {
        entriesToAppend.last?.position ?? snapshotToInstall?.position
    }

    /// Whether step 1 has anything to write (the runtime may skip the fsync otherwise).
    public var needsPersisting: Bool {
        hardState != nil || !entriesToAppend.isEmpty || snapshotToInstall != nil
    }
}

/// The role of a member in the Raft paper's terms, with PreVote's pre-candidate added. (A key holder's
/// role — owner, driver, guest — is `Role` in KeyCluster; this one is named for Raft so neither means two things.)
public enum RaftRole: Sendable, Equatable, CustomStringConvertible {
    case follower
    case preCandidate
    case candidate
    case leader

    public var description: String {
        switch self {
        case .follower: "follower"
        case .preCandidate: "pre-candidate"
        case .candidate: "candidate"
        case .leader: "leader"
        }
    }
}

/// Volatile state a runtime may want to observe: who it is and whom it follows.
public struct RoleState: Sendable, Equatable {
    public var role: RaftRole
    public var leader: NodeID?
    public var term: Term

    public init(role: RaftRole, leader: NodeID?, term: Term) {
        self.role = role
        self.leader = leader
        self.term = term
    }
}
