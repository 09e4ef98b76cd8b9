/// Fast failover (design §3): the transport sees a leader's connection reset or refused long before
/// an election timeout would pass. The follower then stops vouching for that leader (so it grants
/// other candidates' pre-votes and votes despite stickiness) and campaigns soon.
///
/// Only liveness depends on this: PreVote, the log test and one vote per term are untouched, so a
/// spurious notification costs at most an election, never safety.

/// A follower's lost contact with its leader.
struct FailoverState: Sendable, Equatable {
    /// The transport reported the leader's connection lost and nothing was heard from it since.
    var isLeaderContactLost = false
    /// Ticks until this follower campaigns, when it waits for lower-ranked voters to go first.
    var campaignCountdownTicks: Int?
}

extension RaftCore {
    /// The runtime reports that the transport lost `peer`'s connection (reset or refused). If `peer` is
    /// our leader, leader stickiness ends at once and this follower campaigns: the lowest voter id
    /// (other than the leader) at once, the k-th after `k × failoverStaggerTicks` — so the followers,
    /// which all see the reset at about the same time, do not split the vote. Otherwise ignored.
    public mutating func peerUnreachable(_ peer: NodeID) {
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        guard role == .follower, peer == leader, !failover.isLeaderContactLost else { return }
        // A learner has no rank: it only stops vouching for the leader.
        let rank = configuration.voters.filter { $0 != peer }.firstIndex(of: id)
        if rank == 0 {
            campaign(.preVote)
            return
        }
        failover.isLeaderContactLost = true
        failover.campaignCountdownTicks = rank.map { $0 * options.failoverStaggerTicks }
    }

    /// Every tick: a follower whose turn has come campaigns, unless its leader spoke up meanwhile.
    mutating func tickFailover() {
        guard let countdown = failover.campaignCountdownTicks else { return }
        guard role == .follower, failover.isLeaderContactLost else {
            failover = FailoverState()
            return
        }
        if countdown <= 1 {
            failover = FailoverState()
            campaign(.preVote)
        } else {
            failover.campaignCountdownTicks = countdown - 1
        }
    }

    /// The leader was heard from (or the role or term changed): its contact is not lost.
    mutating func restoreLeaderContact() {
        failover = FailoverState()
    }

    func checkFailoverInvariants() {
        precondition(role == .follower || failover == FailoverState(), "lost leader contact outside a follower")
        precondition(
            failover.campaignCountdownTicks.map { $0 >= 1 && failover.isLeaderContactLost } ?? true,
            "a failover countdown without lost contact")
    }
}
