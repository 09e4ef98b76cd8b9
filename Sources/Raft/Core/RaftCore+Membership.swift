/// Membership changes, one server at a time (Raft thesis §4.1–4.3), with learners.
///
/// Why single-server and not joint consensus: any two majorities of configurations that differ by one
/// voter overlap, so no joint phase is needed — provided (1) a configuration takes effect as soon as it
/// is appended (not when committed), (2) only one change is uncommitted at a time, and (3) a new leader
/// commits an entry of its own term before proposing a change (the fix for the bug Ongaro described on
/// raft-dev in 2015). All three are enforced here. Replacing a member is three changes: add it as a
/// learner, promote it once caught up, remove the old one.
struct MembershipState: Sendable, Equatable {
    /// The configuration in force at `position` when no configuration entry follows in the held log:
    /// the bootstrap configuration, or the one a snapshot or compaction recorded.
    var base: MembershipConfiguration
    /// The position of the entry that set the configuration in force (or of the base).
    var position: LogPosition
}

/// A change to the membership, proposed through `RaftCore.proposeMembershipChange(_:force:)`.
public enum MembershipChange: Sendable, Equatable, CustomStringConvertible {
    /// A new non-voting member that replicates the log and catches up; `addresses` tell every member
    /// where to reach it.
    case addLearner(NodeID, region: String, addresses: MemberAddresses? = nil)
    /// A caught-up learner becomes a voter.
    case promote(NodeID)
    /// A voter or learner leaves; a leader may remove itself (it steps down once the change commits).
    case remove(NodeID)

    public var description: String {
        switch self {
        case .addLearner(let id, let region, _): "add learner \(id) in \(region)"
        case .promote(let id): "promote \(id)"
        case .remove(let id): "remove \(id)"
        }
    }
}

/// Why a membership change was refused. Nothing was appended.
public enum MembershipChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    case notLeader(leader: NodeID?)
    /// A new leader must first commit an entry of its own term (single-server safety fix).
    case noEntryCommittedInTerm(term: Term)
    /// The previous change (at `index`) has not committed yet.
    case changePending(index: LogIndex)
    case alreadyMember(NodeID)
    case notALearner(NodeID)
    case notAMember(NodeID)
    /// The learner is more than `maxPromotionLagEntries` behind the leader's last index.
    case learnerLagging(NodeID, match: LogIndex, lastIndex: LogIndex, maxLagEntries: Int)
    case removesLastVoter(NodeID)
    /// The resulting voters would not survive the loss of one region; `reason` says how to fix it.
    case placementBreaking(reason: String)
    case uncommittedBytesLimitExceeded(limitBytes: Int)

    public var description: String {
        switch self {
        case .notLeader(let leader): "not the leader (leader: \(leader.map(String.init(describing:)) ?? "unknown"))"
        case .noEntryCommittedInTerm(let term): "no entry of term \(term) committed yet; retry shortly"
        case .changePending(let index): "the membership change at index \(index) has not committed yet"
        case .alreadyMember(let id): "\(id) is already a member"
        case .notALearner(let id): "\(id) is not a learner"
        case .notAMember(let id): "\(id) is not a member"
        case .learnerLagging(let id, let match, let last, let maxLag):
            "\(id) holds up to \(match), more than \(maxLag) entries behind the leader's \(last)"
        case .removesLastVoter(let id): "removing \(id) would leave no voter"
        case .placementBreaking(let reason): "refused: \(reason)"
        case .uncommittedBytesLimitExceeded(let limit): "more than \(limit) uncommitted bytes; retry later"
        }
    }
}

extension MembershipConfiguration {
    /// The configuration after `change`, or why `change` does not apply to this one.
    public func applying(_ change: MembershipChange) throws(MembershipChangeError) -> MembershipConfiguration {
        switch change {
        case .addLearner(let id, let region, let memberAddresses):
            guard !members.contains(id) else { throw .alreadyMember(id) }
            var addresses = addresses
            addresses[id] = memberAddresses
            return MembershipConfiguration(
                voters: voters, learners: learners + [id], regions: regions.merging([id: region]) { $1 },
                addresses: addresses)
        case .promote(let id):
            guard isLearner(id) else { throw .notALearner(id) }
            return MembershipConfiguration(
                voters: voters + [id], learners: learners.filter { $0 != id }, regions: regions, addresses: addresses)
        case .remove(let id):
            guard members.contains(id) else { throw .notAMember(id) }
            guard voters != [id] else { throw .removesLastVoter(id) }
            return MembershipConfiguration(
                voters: voters.filter { $0 != id }, learners: learners.filter { $0 != id }, regions: regions,
                addresses: addresses)
        }
    }
}

extension RaftCore {
    /// Whether a configuration entry is in the log but not yet committed.
    public var isMembershipChangePending: Bool { membership.position.index > log.commitIndex }

    /// Leader only: appends `change` as a `.configChange` entry, in force at once on this member and,
    /// as followers append it, on theirs. Refused while another change is uncommitted, before this
    /// leader committed an entry of its term, for a learner that lags, and — unless `force` — when the
    /// resulting voters would not survive the loss of any one region (`VoterPlacement`).
    public mutating func proposeMembershipChange(_ change: MembershipChange, force: Bool = false)
        throws(MembershipChangeError) -> LogPosition
    {
        let termBefore = term
        defer { checkInvariants(termBefore: termBefore) }
        guard role == .leader else { throw .notLeader(leader: leader) }
        guard log.term(at: log.commitIndex) == term else { throw .noEntryCommittedInTerm(term: term) }
        guard !isMembershipChangePending else { throw .changePending(index: membership.position.index) }
        let proposed = try configuration.applying(change)
        if case .promote(let learner) = change, let match = progress[learner]?.match,
            log.lastIndex - min(match, log.lastIndex) > LogIndex(options.maxPromotionLagEntries)
        {
            throw .learnerLagging(
                learner, match: match, lastIndex: log.lastIndex, maxLagEntries: options.maxPromotionLagEntries)
        }
        if proposed.voters != configuration.voters, !force, let refusal = proposed.placement.refusal {
            throw .placementBreaking(reason: refusal)
        }
        let payload = proposed.encoded
        guard uncommittedBytes + payload.count <= options.maxUncommittedBytes else {
            throw .uncommittedBytesLimitExceeded(limitBytes: options.maxUncommittedBytes)
        }
        let entry = Entry(index: log.lastIndex + 1, term: term, kind: .configChange, payload: payload)
        uncommittedBytes += payload.count
        appendAsLeader(entry)
        hasUnsentProposals = true
        precondition(configuration == proposed, "a configuration takes effect when appended")
        return entry.position
    }

    /// The configuration in force at `index`: set by the last configuration entry at or before it.
    public func configuration(at index: LogIndex) -> MembershipConfiguration {
        guard index < membership.position.index else { return configuration }
        return lastConfiguration(atOrBefore: index)?.configuration ?? membership.base
    }

    /// Re-derives the configuration after entries were appended (possibly replacing a suffix that held
    /// the configuration entry in force). Cheap unless a configuration entry is involved.
    mutating func refreshConfiguration(afterAppending appended: [Entry]) {
        let configurationEntryKept = membership.position.index <= log.boundary.index || log.matches(membership.position)
        guard !configurationEntryKept || appended.contains(where: { $0.kind == .configChange }) else { return }
        refreshConfiguration()
    }

    /// Sets the configuration from the last configuration entry in the log, else the base.
    mutating func refreshConfiguration() {
        let latest = lastConfiguration(atOrBefore: log.lastIndex)
        membership.position = latest?.position ?? log.boundary
        adopt(latest?.configuration ?? membership.base)
    }

    /// Leader: steps down once a committed configuration no longer counts it as a voter.
    mutating func stepDownIfRemoved() -> Bool {
        guard role == .leader, !configuration.isVoter(id), !isMembershipChangePending else { return false }
        becomeFollower(term: term, leader: nil)
        return true
    }

    func checkSnapshotAndMembershipInvariants() {
        let snapshotIndex = snapshots.latest?.index ?? 0
        precondition(log.boundary.index <= snapshotIndex, "entries compacted beyond the latest snapshot")
        precondition(snapshotIndex <= log.commitIndex, "a snapshot covers uncommitted entries")
        precondition(membership.position.index <= log.lastIndex, "the configuration comes from beyond the log")
        guard role == .leader else { return }
        precondition(
            progress.keys.allSatisfy { $0 == id || configuration.members.contains($0) }, "a leader tracks a non-member")
        precondition(
            progress.values.allSatisfy { $0.state != .snapshot || $0.pendingSnapshotIndex > 0 },
            "a snapshot transfer without a snapshot")
    }

    private func lastConfiguration(atOrBefore index: LogIndex) -> (
        position: LogPosition, configuration: MembershipConfiguration
    )? {
        var candidate = min(index, log.lastIndex)
        while candidate > log.boundary.index {
            if let entry = log.entries(from: candidate, maxCount: 1, maxBytes: Int.max).first,
                entry.kind == .configChange,
                let decoded = MembershipConfiguration(decoding: entry.payload)
            {
                return (entry.position, decoded)
            }
            candidate -= 1
        }
        return nil
    }

    /// A leader tracks every member of the configuration in force, and only those (and itself).
    private mutating func adopt(_ newConfiguration: MembershipConfiguration) {
        configuration = newConfiguration
        guard role == .leader else { return }
        for member in newConfiguration.members where progress[member] == nil {
            progress[member] = Progress(next: log.lastIndex + 1, options: options)
        }
        for peer in progress.keys where peer != id && !newConfiguration.members.contains(peer) {
            progress[peer] = nil
        }
    }
}
