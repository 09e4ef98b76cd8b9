import RaftCore
import RaftNode

/// One simulated member: its core while it is up, its "disk", and the writes handed to the disk but
/// not yet durable. A crash loses those writes and everything in memory, as a power cut would.
final class SimNode {
    let id: NodeID
    private(set) var core: RaftCore?
    let disk = InMemoryLogStore()
    /// Readies whose writes are in flight to the disk, oldest first. Their messages are sent and their
    /// committed entries applied only when the write completes (the `Ready` ordering rule).
    private(set) var pendingWrites: [Ready] = []
    /// When the newest pending write completes; writes complete in the order they were issued.
    var lastWriteCompletesAt: SimTime = 0
    /// Bumped on every crash so that completions scheduled before it are ignored.
    private(set) var incarnation = 0
    /// Set directly only by a snapshot install (`SimNode+Snapshot`).
    var stateMachine = KeyValueStateMachine()
    /// The last index applied to `stateMachine` (the core's `appliedIndex` runs ahead while writes are pending).
    var stateMachineAppliedIndex: LogIndex = 0
    /// The durable snapshot and the volatile transfer state (`SimNode+Snapshot`).
    var snapshots = SimSnapshots()
    /// Reads the core released, waiting for the state machine to apply through their index; volatile.
    var waitingReads: [ReadState] = []
    /// When each freshness probe of the current incarnation left (`Simulation+Freshness`); volatile.
    var probeStamps: [UInt64: SimFreshness.Stamp] = [:]
    /// When the member last restarted or resumed from a pause.
    var returnedAt: SimTime?
    /// What the disk holds: every message sent is checked against it (`DurabilityLedger`).
    private(set) var durable = DurabilityLedger(hardState: .initial, lastIndex: 0)

    init(id: NodeID, core: RaftCore) {
        self.id = id
        self.core = core
    }

    var isUp: Bool { core != nil }

    /// Runs `body` on the core if the member is up.
    func withCore(_ body: (inout RaftCore) -> Void) {
        guard var running = core else { return }
        core = nil
        body(&running)
        core = running
    }

    /// Takes the next Ready, if any, and queues its writes.
    func takeReady() -> Ready? {
        guard var running = core, running.hasReady else { return nil }
        core = nil
        let ready = running.ready()
        core = running
        pendingWrites.append(ready)
        return ready
    }

    /// Takes out of the newest pending write the messages that may leave before it is durable — a
    /// leader's appends and heartbeats whose term is durable (`Message.maySendBeforePersisting`), as
    /// `RaftNode` sends them — and returns them for sending now.
    func takeMessagesSendableBeforePersisting() -> [Message] {
        guard var newest = pendingWrites.popLast() else { return [] }
        let early = newest.messages.filter { $0.maySendBeforePersisting && durable.violation($0) == nil }
        newest.messages.removeAll { $0.maySendBeforePersisting && durable.violation($0) == nil }
        pendingWrites.append(newest)
        return early
    }

    /// Completes the oldest pending write: it becomes durable. Returns its Ready for sending and applying.
    func completeOldestWrite() throws(SimulationFailure) -> Ready? {
        guard !pendingWrites.isEmpty else { return nil }
        let ready = pendingWrites.removeFirst()
        if let installed = ready.snapshotToInstall {
            try install(installed)
        }
        do {
            try disk.persist(hardState: ready.hardState, entries: ready.entriesToAppend)
        } catch {
            throw SimulationFailure(invariant: "storage contract", detail: "\(id) could not persist a Ready: \(error)")
        }
        durable.persisted(ready)
        return ready
    }

    /// Applies a committed entry; returns the command and its result for normal entries.
    func apply(_ entry: Entry) throws(SimulationFailure) -> (command: KeyValueCommand, result: String)? {
        precondition(entry.index == stateMachineAppliedIndex + 1, "entries are applied in order")
        stateMachineAppliedIndex = entry.index
        guard entry.kind == .normal else { return nil }
        guard let command = KeyValueCommand(payload: entry.payload) else {
            throw SimulationFailure(invariant: "state machine input", detail: "undecodable entry \(entry)")
        }
        return (command, stateMachine.apply(command))
    }

    /// Power cut: memory and unsynced writes are gone; the disk keeps what completed.
    func crash() {
        core = nil
        pendingWrites.removeAll()
        snapshots.forgetVolatile()
        waitingReads.removeAll()
        probeStamps.removeAll()
        incarnation += 1
    }

    /// Reboot from the disk. The state machine is volatile here, so it is rebuilt from the durable
    /// snapshot, if any, and by re-applying the log after it.
    func restart(configuration: MembershipConfiguration, options: RaftOptions, randomSeed: UInt64, now: SimTime)
        throws(SimulationFailure)
    {
        precondition(!isUp, "only a crashed member restarts")
        let stored: (hardState: HardState, boundary: LogPosition, entries: [Entry])
        do {
            stored = try disk.restartState()
        } catch {
            throw SimulationFailure(invariant: "storage contract", detail: "\(id) could not read its disk: \(error)")
        }
        let durable = try snapshots.durableStateMachine(of: id)
        core = RaftCore(
            id: id, configuration: configuration, options: options,
            hardState: stored.hardState, entries: stored.entries, boundary: stored.boundary,
            appliedIndex: durable.appliedIndex, snapshot: snapshots.durable?.metadata, randomSeed: randomSeed
        )
        stateMachine = durable.stateMachine
        stateMachineAppliedIndex = durable.appliedIndex
        lastWriteCompletesAt = now
        returnedAt = now
        self.durable = DurabilityLedger(
            hardState: stored.hardState, lastIndex: stored.entries.last?.index ?? stored.boundary.index)
    }
}

/// The simulated network: per-link blocking (one-way or both ways), loss, duplication and delay.
struct SimNetwork {
    struct Link: Hashable {
        let from: NodeID
        let to: NodeID
    }

    private(set) var blockedLinks: Set<Link> = []
    var dropPercent: UInt64 = 0
    var duplicatePercent: UInt64 = 0
    /// Share of messages held back long enough to arrive after later ones.
    var longDelayPercent: UInt64 = 5

    func isBlocked(from: NodeID, to: NodeID) -> Bool {
        blockedLinks.contains(Link(from: from, to: to))
    }

    mutating func block(from: NodeID, to: NodeID) {
        blockedLinks.insert(Link(from: from, to: to))
    }

    /// Restores every link to and from `node`.
    mutating func unblock(_ node: NodeID) {
        blockedLinks = blockedLinks.filter { $0.from != node && $0.to != node }
    }

    mutating func healPartitions() {
        blockedLinks.removeAll()
    }

    mutating func healEverything() {
        healPartitions()
        dropPercent = 0
        duplicatePercent = 0
        longDelayPercent = 0
    }
}
