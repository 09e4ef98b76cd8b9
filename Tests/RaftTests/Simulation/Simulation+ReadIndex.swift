import RaftCore

/// The simulated runtime's side of ReadIndex, leadership transfer and fast failover: clients' reads
/// served from a member's state machine once it has applied through the read index; operators
/// transferring leadership at random; the transport reporting lost connections (when a member
/// crashes, and spuriously).
struct SimReads {
    struct Request {
        let command: KeyValueCommand
        let attempt: Int
    }

    var nextContext: ReadContext = 1
    /// Reads handed to some member's core and not yet answered or failed.
    var requests: [ReadContext: Request] = [:]
    /// Client operations that went through ReadIndex: they never enter the log, so the exactly-once
    /// check skips them.
    var operations: Set<KeyValueStateMachine.OperationID> = []
    /// Members stalled (a VM or GC pause) until the given time.
    var pausedUntil: [NodeID: SimTime] = [:]
    var statistics = Statistics()

    /// What a run exercised, so a passing run shows it did test these paths.
    struct Statistics {
        var servedByLeader = 0
        var servedByFollower = 0
        var failed = 0
        var transfersRequested = 0
        var connectionLossReports = 0
        var pauses = 0

        static func + (lhs: Statistics, rhs: Statistics) -> Statistics {
            Statistics(
                servedByLeader: lhs.servedByLeader + rhs.servedByLeader,
                servedByFollower: lhs.servedByFollower + rhs.servedByFollower,
                failed: lhs.failed + rhs.failed,
                transfersRequested: lhs.transfersRequested + rhs.transfersRequested,
                connectionLossReports: lhs.connectionLossReports + rhs.connectionLossReports,
                pauses: lhs.pauses + rhs.pauses
            )
        }

        var description: String {
            "ReadIndex reads served by leaders \(servedByLeader), by followers \(servedByFollower), failed \(failed); transfers requested \(transfersRequested); connection-loss reports \(connectionLossReports); pauses \(pauses)"
        }
    }
}

extension Simulation {
    /// Share of client gets sent through ReadIndex rather than through the log.
    static let readIndexGetPercent: UInt64 = 70
    /// How often an operator acts during the fault phase: a transfer, a spurious connection loss, or
    /// a leader pause.
    static let operatorIntervalUnits = 50..<600
    /// A stalled leader: long enough for the others to elect a new one and commit meanwhile.
    static let pauseUnits = 100..<600
    /// Delay of a connection-loss report after the peer died, like a reset reaching the transport.
    static let connectionLossDelayUnits = 1..<15

    /// Decides whether a new get goes through ReadIndex.
    func choosesReadIndex(for operation: KeyValueCommand.Operation) -> Bool {
        operation == .get && random.chance(Self.readIndexGetPercent, in: 100)
    }

    /// Offers the client's outstanding request to `core`: a proposal, or a ReadIndex read.
    func offer(_ outstanding: SimClient.Outstanding, to core: inout RaftCore) -> Bool {
        guard outstanding.viaReadIndex else {
            return (try? core.propose(outstanding.command.payload)) != nil
        }
        let context = reads.nextContext
        reads.nextContext += 1
        guard (try? core.readIndex(context: context)) != nil else { return false }
        reads.requests[context] = SimReads.Request(command: outstanding.command, attempt: outstanding.attempt)
        reads.operations.insert(
            KeyValueStateMachine.OperationID(
                clientID: outstanding.command.clientID, sequence: outstanding.command.sequence))
        return true
    }

    /// Carries out a durable Ready's read outcomes: released reads wait for the state machine,
    /// failed ones are retried soon by their client.
    func handleReadOutcomes(of ready: Ready, on node: SimNode) {
        node.waitingReads += ready.readStates
        for failure in ready.failedReads {
            guard let request = reads.requests.removeValue(forKey: failure.context) else { continue }
            reads.statistics.failed += 1
            schedule(
                .clientTimeout(
                    clientID: request.command.clientID, sequence: request.command.sequence, attempt: request.attempt),
                after: 20 + random.next(in: 0..<20))
        }
        serveWaitingReads(on: node)
    }

    /// The runtime's obligation: a released read is answered only once the state machine has
    /// applied through its index, and then from that state.
    func serveWaitingReads(on node: SimNode) {
        let servable = node.waitingReads.filter { $0.index <= node.stateMachineAppliedIndex }
        node.waitingReads.removeAll { $0.index <= node.stateMachineAppliedIndex }
        for read in servable {
            guard let request = reads.requests.removeValue(forKey: read.context) else { continue }
            if node.core?.role == .leader {
                reads.statistics.servedByLeader += 1
            } else {
                reads.statistics.servedByFollower += 1
            }
            acknowledge(request.command, result: node.stateMachine.values[request.command.key] ?? "")
        }
    }

    // MARK: - Operators and the transport

    /// During the fault phase: ask the leader to hand over to a random voter, report its connection
    /// lost to a follower that in fact still hears it, or stall it.
    func operatorAction() throws(SimulationFailure) {
        guard now < faultsEndAt else { return }
        let leaders = nodes.filter { $0.core?.role == .leader }
        if let leader = leaders.first, let core = leader.core {
            let others = core.configuration.voters.filter { $0 != leader.id }
            if !others.isEmpty {
                let target = others[random.next(in: 0..<others.count)]
                switch random.next(below: 3) {
                case 0:
                    leader.withCore { _ = try? $0.transferLeadership(to: target) }
                    reads.statistics.transfersRequested += 1
                    try drain(leader)
                case 1:
                    try connectionLost(observer: target, peer: leader.id)
                default:
                    // A frozen process (SIGSTOP): the leader half the time, else any member.
                    let victim = random.chance(1, in: 2) ? leader : nodes[random.next(in: 0..<nodes.count)]
                    let resumesAt = now + random.next(in: Self.pauseUnits)
                    reads.pausedUntil[victim.id] = resumesAt
                    victim.returnedAt = resumesAt
                    reads.statistics.pauses += 1
                }
            }
        }
        schedule(.operatorAction, after: random.next(in: Self.operatorIntervalUnits))
    }

    /// A stalled member's timer, peer messages, disk completions and transport reports wait until it
    /// resumes; client requests still reach its core, as requests queued during the stall and handled
    /// first on resuming. A leader that resumes believes it still leads: only ReadIndex's quorum
    /// confirmation keeps its reads from being stale. Returns whether `event` was put off.
    func deferredWhilePaused(_ event: SimEvent) -> Bool {
        let member: NodeID
        switch event {
        case .tick(let id), .diskWriteCompleted(let id, _), .connectionLost(let id, _): member = id
        case .deliver(let message): member = message.to
        default: return false
        }
        guard let resumesAt = reads.pausedUntil[member], resumesAt > now else { return false }
        queue.schedule(event, at: resumesAt + random.next(in: Self.connectionLossDelayUnits))
        return true
    }

    /// A member crashed: every other member's transport sees its connection reset soon after.
    func reportConnectionsLost(to crashed: NodeID) {
        guard failoverNotifications else { return }
        for node in nodes where node.id != crashed && node.isUp {
            schedule(
                .connectionLost(observer: node.id, peer: crashed), after: random.next(in: Self.connectionLossDelayUnits)
            )
        }
    }

    /// A partition cut `peer` off from `observer`: sometimes the transport notices (keepalive) and
    /// reports it, which lets the majority side replace a leader that still believes it leads — the
    /// window in which only ReadIndex's quorum confirmation keeps that old leader's reads fresh.
    func reportPartitioned(observer: NodeID, peer: NodeID) {
        guard failoverNotifications, random.chance(1, in: 2) else { return }
        schedule(.connectionLost(observer: observer, peer: peer), after: random.next(in: Self.connectionLossDelayUnits))
    }

    func connectionLost(observer: NodeID, peer: NodeID) throws(SimulationFailure) {
        let node = node(observer)
        reads.statistics.connectionLossReports += 1
        node.withCore { $0.peerUnreachable(peer) }
        try drain(node)
    }
}
