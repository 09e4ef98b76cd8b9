/// A client of the simulated service: one request at a time, retried on timeout (possibly at another
/// member) with the same sequence number, so the state machine's session applies it once.
struct SimClient {
    struct Outstanding {
        let command: KeyValueCommand
        let historyIndex: Int
        var attempt: Int
        /// A get served by ReadIndex instead of through the log.
        var viaReadIndex = false
    }

    let id: Int
    var nextSequence = 1
    var remainingOperations: Int
    var outstanding: Outstanding?
    /// A client step is scheduled; prevents two concurrent requests.
    var stepScheduled = true

    init(id: Int, remainingOperations: Int) {
        self.id = id
        self.remainingOperations = remainingOperations
    }

    var isIdle: Bool { outstanding == nil && !stepScheduled }
    var isFinished: Bool { outstanding == nil && remainingOperations == 0 }
}

extension Simulation {
    func clientStep(_ clientID: Int) throws(SimulationFailure) {
        let index = clientID - 1
        clients[index].stepScheduled = false
        guard clients[index].outstanding == nil, clients[index].remainingOperations > 0 else { return }
        clients[index].remainingOperations -= 1
        let sequence = clients[index].nextSequence
        clients[index].nextSequence += 1
        let key = Self.keys[random.next(in: 0..<Self.keys.count)]
        let operation: KeyValueCommand.Operation =
            switch random.next(below: 10) {
            case 0..<4: .put("\(clientID).\(sequence)")
            case 4..<7: .append("\(clientID).\(sequence);")
            default: .get
            }
        let command = KeyValueCommand(clientID: clientID, sequence: sequence, key: key, operation: operation)
        history.append(KeyValueHistoryOperation(key: key, operation: operation, invokedAt: historyClock))
        historyClock += 1
        clients[index].outstanding = SimClient.Outstanding(
            command: command, historyIndex: history.count - 1, attempt: 0,
            viaReadIndex: choosesReadIndex(for: operation))
        try submit(clientID)
    }

    /// Sends the outstanding request to a random member; refusals are retried after a short backoff.
    private func submit(_ clientID: Int) throws(SimulationFailure) {
        guard let outstanding = clients[clientID - 1].outstanding else { return }
        // Clients know the members (as the CLI's member list does once an operator updates it): removed
        // members, which may still believe in a leader of an old term and swallow requests, are not asked.
        let members = nodes.compactMap(\.core).max { $0.commitIndex < $1.commitIndex }?.configuration.members ?? []
        let targets =
            nodes.filter { members.contains($0.id) }.isEmpty ? nodes : nodes.filter { members.contains($0.id) }
        let target = targets[random.next(in: 0..<targets.count)]
        var accepted = false
        target.withCore { core in
            accepted = offer(outstanding, to: &core)
        }
        let timeout = accepted ? Self.clientTimeoutTicks * Self.unitsPerTick : 20 + random.next(in: 0..<20)
        schedule(
            .clientTimeout(clientID: clientID, sequence: outstanding.command.sequence, attempt: outstanding.attempt),
            after: timeout)
        // The member's runtime drains after every input (a forwarded proposal is a message).
        try drain(target)
    }

    func clientTimedOut(_ clientID: Int, sequence: Int, attempt: Int) throws(SimulationFailure) {
        let index = clientID - 1
        guard let outstanding = clients[index].outstanding,
            outstanding.command.sequence == sequence, outstanding.attempt == attempt
        else { return }
        clients[index].outstanding?.attempt += 1
        try submit(clientID)
    }

    /// A member applied `command`: if its client still waits for it, the client gets the result.
    func acknowledge(_ command: KeyValueCommand, result: String) {
        let index = command.clientID - 1
        guard clients.indices.contains(index), let outstanding = clients[index].outstanding,
            outstanding.command.sequence == command.sequence
        else { return }
        history[outstanding.historyIndex].returnedAt = historyClock
        history[outstanding.historyIndex].output = result
        historyClock += 1
        clients[index].outstanding = nil
        if clients[index].remainingOperations > 0 {
            clients[index].stepScheduled = true
            schedule(.clientStep(clientID: command.clientID), after: 1 + random.next(in: 0..<40))
        }
    }
}
