/// Everything the core asks of its runtime after a batch of inputs. The runtime carries out each
/// `Ready` in the order of its fields below. It may keep stepping the core and taking further Readies
/// while earlier ones are still being persisted (and may persist several in one write), provided
/// Readies become durable in the order the core returned them and nothing of a Ready is sent or applied
/// before it and every earlier Ready are durable. The simulator runs exactly this model, with crashes
/// that lose every write not yet durable.
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
    /// 2. Send only after 1 is durable. Each message may depend on the writes of this Ready or an earlier
    ///    one. Order between messages does not matter; losing any of them is safe (Raft retries).
    public var messages: [Message]
    /// 3. Apply after 1, in index order. Entries known committed; every one of them is in this or an
    ///    earlier Ready's `entriesToAppend` (or in storage at start).
    public var committedEntries: [Entry]
    /// Informational: the member's role and known leader when they changed in this batch, else nil.
    /// Needs no persisting; lets the runtime route clients and fail waiting proposals promptly.
    public var roleChange: RoleState?

    public init(
        hardState: HardState? = nil,
        entriesToAppend: [Entry] = [],
        messages: [Message] = [],
        committedEntries: [Entry] = [],
        roleChange: RoleState? = nil
    ) {
        self.hardState = hardState
        self.entriesToAppend = entriesToAppend
        self.messages = messages
        self.committedEntries = committedEntries
        self.roleChange = roleChange
    }

    /// True when there is nothing to persist, send or apply.
    public var isEmpty: Bool {
        hardState == nil && entriesToAppend.isEmpty && messages.isEmpty && committedEntries.isEmpty && roleChange == nil
    }

    /// Whether step 1 has anything to write (the runtime may skip the fsync otherwise).
    public var needsPersisting: Bool {
        hardState != nil || !entriesToAppend.isEmpty
    }
}

/// The role of a member in the Raft paper's terms, with PreVote's pre-candidate added.
public enum Role: Sendable, Equatable, CustomStringConvertible {
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
    public var role: Role
    public var leader: NodeID?
    public var term: Term

    public init(role: Role, leader: NodeID?, term: Term) {
        self.role = role
        self.leader = leader
        self.term = term
    }
}
