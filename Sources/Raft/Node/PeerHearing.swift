import RaftCore

/// When this member last heard from each peer — any Raft message — so a peer whose process is frozen (SIGSTOP,
/// a hung machine) shows as silent although its TCP connection stays up: the kernel still answers
/// keepalives for a stopped process, so the transport's link state alone says "connected" for ever.
///
/// Only peers this member expects to hear from are judged: a leader hears every follower at each heartbeat,
/// a follower hears its leader; followers exchange nothing in steady state, so they never judge each other.
struct PeerHearing {
    private var lastHeard: [NodeID: ContinuousClock.Instant] = [:]

    mutating func heard(from peer: NodeID, at now: ContinuousClock.Instant) {
        lastHeard[peer] = now
    }

    /// Of `expected`, the peers not heard from within `silence` before `now` (never heard counts as silent
    /// once `since` — when this member started expecting them — is that long ago).
    func silent(
        among expected: [NodeID], now: ContinuousClock.Instant, silence: Duration, since: ContinuousClock.Instant
    ) -> Set<NodeID> {
        Set(expected.filter { peer in now - (lastHeard[peer] ?? since) > silence })
    }
}
