/// Bounded-staleness reads (design §6): when may a member answer from its own state without a read round?
///
/// The rule, proven rather than inferred: a member is **fresh as of** the moment it issued a *freshness
/// probe* once (1) a leader of the member's term answered that probe with a read index C after a quorum
/// confirmed that leader in a heartbeat round started after the probe arrived (ReadIndex, thesis §6.4), and
/// (2) the member's state machine has applied through C. Every write acknowledged before the probe was
/// issued was committed before that round started, so it is at or below C, so it is visible here.
///
/// Probes are ReadIndex reads the core issues by itself every `freshnessProbeIntervalTicks`, on the leader
/// as on followers, sharing the rounds of client reads. Their contexts carry `freshnessProbeFlag`, so the
/// runtime's contexts and the core's never collide. The core names the newest proven probe
/// (`freshnessWitness`); the runtime attaches its own clock time to each probe when it takes the Ready that
/// announces it, and serves a bounded read at time T only while T minus that time is within its bound. A
/// member that restarts starts with no witness; one that was frozen keeps an old witness whose time has
/// passed; a late answer to a probe sent before a freeze proves freshness only as of that old send time.
/// None of them can count itself fresh until a probe issued after its return is answered and applied.
extension RaftCore {
    /// Set in the context of every freshness probe; contexts a runtime passes to `readIndex` stay below it.
    public static let freshnessProbeFlag: ReadContext = 1 << 63

    /// The newest probe this member's applied state is proven fresh by, and the tick it was issued at;
    /// nil until a probe issued in this incarnation has been answered and applied.
    public var freshnessWitness: FreshnessWitness? { freshness.witness }

    /// The runtime has applied through `index` (durably, in its state machine): answered probes whose read
    /// index is now covered become witnesses. Applying is the runtime's business, so it must say so; the
    /// core's own `appliedIndex` counts entries handed out, which may not be applied yet.
    public mutating func stateMachineApplied(through index: LogIndex) {
        precondition(index >= freshness.appliedThrough, "the applied index never moves back")
        freshness.appliedThrough = index
        promoteCoveredProbes()
    }

    /// Every tick: issue the next probe when one is due and fewer than `maxOutstandingFreshnessProbes` wait.
    mutating func tickFreshness() {
        freshness.elapsedTicks += 1
        freshness.ticksSinceProbe += 1
        let (elapsed, lifetime) = (freshness.elapsedTicks, freshnessProbeLifetimeTicks)
        freshness.outstanding.removeAll { elapsed - $0.issuedAtTick > lifetime }
        guard freshness.ticksSinceProbe >= options.freshnessProbeIntervalTicks,
            freshness.outstanding.count < options.maxOutstandingFreshnessProbes
        else { return }
        let probe = FreshnessWitness(probe: freshness.nextProbe, issuedAtTick: freshness.elapsedTicks)
        let context = Self.freshnessProbeFlag | probe.probe
        do {
            try registerRead(context: context)
        } catch {
            // No leader known, or the read lists are full: nothing can prove freshness now; try next tick.
            return
        }
        freshness.nextProbe += 1
        freshness.ticksSinceProbe = 0
        freshness.outstanding.append(probe)
        freshness.issued.append(probe.probe)
    }

    /// A read index answered one of this member's probes: once applied through `index`, it is fresh as of
    /// the probe's issue.
    mutating func probeAnswered(context: ReadContext, index: LogIndex) {
        let id = context & ~Self.freshnessProbeFlag
        guard let position = freshness.outstanding.firstIndex(where: { $0.probe == id }) else { return }
        let probe = freshness.outstanding.remove(at: position)
        // Older probes still outstanding prove less than this one will: they need not wait any more.
        freshness.outstanding.removeAll { $0.probe < id }
        if freshness.witness.map({ $0.probe > id }) == true { return }
        freshness.answered.removeAll { $0.index >= index && $0.witness.probe < id }
        // Full (the state machine lags far behind): the older answers are covered first and make room.
        guard freshness.answered.count < options.maxOutstandingFreshnessProbes else { return }
        freshness.answered.append((probe, index))
        promoteCoveredProbes()
    }

    /// A probe failed (leadership changed, refused, timed out): it proves nothing; a later one will.
    mutating func probeFailed(context: ReadContext) {
        let id = context & ~Self.freshnessProbeFlag
        freshness.outstanding.removeAll { $0.probe == id }
    }

    /// A probe unanswered this long is forgotten (its answer, if any, was lost): past the longest a forwarded
    /// read waits (`electionTimeoutTicks`) and a leader keeps one without a quorum (CheckQuorum, the same).
    var freshnessProbeLifetimeTicks: Int { options.electionTimeoutTicks * 2 }

    static func isFreshnessProbe(_ context: ReadContext) -> Bool {
        context & freshnessProbeFlag != 0
    }

    private mutating func promoteCoveredProbes() {
        let covered = freshness.answered.filter { $0.index <= freshness.appliedThrough }
        guard let newest = covered.max(by: { $0.witness.probe < $1.witness.probe }) else { return }
        freshness.answered.removeAll { $0.witness.probe <= newest.witness.probe }
        if freshness.witness.map({ $0.probe < newest.witness.probe }) ?? true {
            freshness.witness = newest.witness
        }
    }

    /// Hands the probes issued since the last `ready()` to it, for the runtime to stamp with its clock.
    mutating func takeIssuedProbes(into ready: inout Ready) {
        ready.freshnessProbesIssued = freshness.issued
        freshness.issued.removeAll()
    }

    func checkFreshnessInvariants() {
        precondition(
            freshness.outstanding.count <= options.maxOutstandingFreshnessProbes, "more outstanding probes than allowed"
        )
        precondition(
            freshness.answered.count <= options.maxOutstandingFreshnessProbes,
            "more answered probes than were outstanding")
        precondition(
            freshness.answered.allSatisfy { $0.index > freshness.appliedThrough }, "a covered probe was not promoted")
        if let witness = freshness.witness {
            precondition(
                witness.probe < freshness.nextProbe && witness.issuedAtTick <= freshness.elapsedTicks,
                "a witness from the future")
        }
    }
}

/// A probe that proves a member's applied state fresh as of its issue (see `RaftCore+Freshness`).
public struct FreshnessWitness: Sendable, Equatable {
    /// The probe's number; probes are numbered from 1 in issue order within one incarnation of the core.
    public var probe: UInt64
    /// The core's tick count when it was issued (ticks stop while a process is frozen: a runtime judges age
    /// by the clock time it stamped the probe with, a simulator by its global time).
    public var issuedAtTick: Int
}

/// The freshness bookkeeping of one member (`RaftCore+Freshness`). Every list is bounded by
/// `maxOutstandingFreshnessProbes`.
struct FreshnessState: Sendable {
    var elapsedTicks = 0
    var ticksSinceProbe = 0
    var nextProbe: UInt64 = 1
    /// Issued, not yet answered; oldest first.
    var outstanding: [FreshnessWitness] = []
    /// Answered with a read index not yet applied.
    var answered: [(witness: FreshnessWitness, index: LogIndex)] = []
    var appliedThrough: LogIndex = 0
    var witness: FreshnessWitness?
    /// Issued since the last `ready()`.
    var issued: [UInt64] = []
}
