/// Leadership transfer (Raft thesis §3.10): the leader brings a named voter up to date, then tells it
/// to campaign at once (`TimeoutNow`); proposals pause meanwhile so the target can stay caught up.

/// Why `transferLeadership(to:)` refused.
public enum TransferError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Only the leader hands over leadership.
    case notLeader
    /// The leader cannot transfer to itself.
    case targetIsSelf
    /// Only a voter can win an election.
    case notAVoter(NodeID)

    public var description: String {
        switch self {
        case .notLeader: "only the leader transfers leadership"
        case .targetIsSelf: "this member is already the leader"
        case .notAVoter(let target): "\(target) is not a voter"
        }
    }
}

/// A transfer in progress on the leader.
struct LeadershipTransfer: Sendable, Equatable {
    let target: NodeID
    var elapsedTicks = 0
    var isTimeoutNowSent = false
}

extension RaftCore {
    /// The voter this leader is handing over to, while a transfer is pending.
    public var leadershipTransferTarget: NodeID? { transfer?.target }

    /// Hands leadership to `target`: sends it `TimeoutNow` once its log matches ours (at once if it
    /// already does). Proposals are refused (`ProposalError.transferInProgress`) until the transfer
    /// ends: by this member stepping down, or abandoned after an election timeout. A new request
    /// replaces a pending one.
    public mutating func transferLeadership(to target: NodeID) throws(TransferError) {
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        guard role == .leader else { throw .notLeader }
        guard target != id else { throw .targetIsSelf }
        guard configuration.isVoter(target) else { throw .notAVoter(target) }
        transfer = LeadershipTransfer(target: target)
        if !sendTimeoutNowIfCaughtUp() {
            sendAppend(to: target, allowEmpty: true)
        }
    }

    /// Leader: after any acknowledgement, tells a caught-up transfer target to campaign. Returns
    /// whether `TimeoutNow` went out now.
    @discardableResult
    mutating func sendTimeoutNowIfCaughtUp() -> Bool {
        guard let pending = transfer, !pending.isTimeoutNowSent, progress[pending.target]?.match == log.lastIndex else {
            return false
        }
        transfer?.isTimeoutNowSent = true
        send(to: pending.target, term: term, .timeoutNow)
        return true
    }

    /// Leader, every tick: a transfer that has not ended within an election timeout is abandoned, so
    /// an unreachable or lagging target cannot stop proposals for long; so is one whose target a
    /// membership change has made a non-voter meanwhile.
    mutating func tickTransfer() {
        guard role == .leader, var pending = transfer else { return }
        pending.elapsedTicks += 1
        let isOver = pending.elapsedTicks >= options.electionTimeoutTicks || !configuration.isVoter(pending.target)
        transfer = isOver ? nil : pending
    }

    /// Target: the leader asked us to take over. Campaign now, skipping PreVote (the leader agreed),
    /// with a flag that lets voters set leader stickiness aside.
    mutating func campaignOnTimeoutNow() {
        guard configuration.isVoter(id) else { return }
        campaign(.vote, isLeadershipTransfer: true)
    }

    func checkTransferInvariants() {
        guard let transfer else { return }
        precondition(role == .leader, "a transfer outside leadership")
        // The target may have stopped being a voter since (a membership change); the next tick ends it.
        precondition(transfer.target != id, "a transfer to itself")
        precondition(transfer.elapsedTicks < options.electionTimeoutTicks, "a transfer outlived its election timeout")
    }
}
