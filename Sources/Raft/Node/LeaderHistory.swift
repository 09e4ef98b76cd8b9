import Foundation
import RaftCore

/// One leader this member saw take office: the term, the leader, and when this member learned of it by its
/// own wall clock (Unix ms; for people reading a status page, never for decisions).
public struct LeaderChange: Sendable, Equatable {
    public var term: Term
    public var leader: NodeID
    public var observedAtUnixMs: Int64

    public init(term: Term, leader: NodeID, observedAtUnixMs: Int64) {
        self.term = term
        self.leader = leader
        self.observedAtUnixMs = observedAtUnixMs
    }
}

/// The last leaders this member saw, newest last, for operators (status page, `/v1/cluster/status`).
///
/// Kept in the runtime shell, not the core: it reads the wall clock, and the core stays pure. Fed with each
/// `Ready.roleChange`; a role change that keeps the same leader and term (this member's own candidacy, say)
/// or knows no leader adds nothing.
public struct LeaderHistory: Sendable, Equatable {
    /// Leader changes kept; older ones are dropped (a status page shows the last few).
    public static let maxEntries = 16

    public private(set) var entries: [LeaderChange] = []

    public init() {}

    /// Records `leader` in `term` if it is news, seen at `unixMs` (now by default).
    public mutating func record(leader: NodeID?, term: Term, atUnixMs unixMs: Int64 = LeaderHistory.nowUnixMs()) {
        guard let leader, entries.last.map({ $0.leader != leader || $0.term != term }) ?? true else { return }
        entries.append(LeaderChange(term: term, leader: leader, observedAtUnixMs: unixMs))
        if entries.count > Self.maxEntries { entries.removeFirst(entries.count - Self.maxEntries) }
    }

    public static func nowUnixMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down)) }
}
