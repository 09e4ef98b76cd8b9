import RaftCore
import RaftNode
import Storage
import TestSupport

/// N `RaftNode`s in one process, each with its own LMDB environment, joined by a `LocalNetwork`.
/// `shutdown()` stops every node and removes every file.
final class InProcessCluster {
    let ids: [NodeID]
    let network = LocalNetwork()
    let directory: TemporaryDirectory
    let options: RaftNodeOptions
    private(set) var nodes: [NodeID: RaftNode] = [:]
    private(set) var stateMachines: [NodeID: AppendingStateMachine] = [:]
    /// What each node reported to its observer (kept across restarts of the node).
    private(set) var observers: [NodeID: RecordingObserver] = [:]

    init(size: Int, options: RaftNodeOptions = InProcessCluster.fastOptions) async throws {
        precondition(size > 0, "a cluster has members")
        ids = (1...size).map { NodeID(UInt64($0)) }
        directory = try TemporaryDirectory("raft-node")
        self.options = options
        for id in ids { try await start(id) }
    }

    /// Short ticks so elections take tens of milliseconds; the logic is the same as with 100 ms ticks.
    static var fastOptions: RaftNodeOptions {
        var options = RaftNodeOptions()
        options.tickInterval = .milliseconds(10)
        options.proposalRetryInterval = .milliseconds(200)
        return options
    }

    func start(_ id: NodeID) async throws {
        precondition(nodes[id] == nil, "\(id) is already running")
        let environment = try Environment(
            path: directory.appending("\(id)"), options: EnvironmentOptions(durability: .noSync))
        let stateMachine = try AppendingStateMachine(environment: environment)
        let node = try RaftNode(
            id: id, configuration: MembershipConfiguration(voters: ids), environment: environment,
            stateMachine: stateMachine,
            transport: network.attach(id), options: options, observer: observer(of: id))
        nodes[id] = node
        stateMachines[id] = stateMachine
        await node.start()
    }

    private func observer(of id: NodeID) -> RecordingObserver {
        if let observer = observers[id] { return observer }
        let observer = RecordingObserver()
        observers[id] = observer
        return observer
    }

    func stop(_ id: NodeID) async {
        guard let node = nodes.removeValue(forKey: id) else { return }
        network.detach(id)
        await node.stop()
        stateMachines.removeValue(forKey: id)
    }

    func shutdown() async {
        for id in Array(nodes.keys) { await stop(id) }
        directory.remove()
    }

    /// The leader every running node agrees on, once there is one.
    func waitForLeader(deadlineSeconds: Double = 20) async throws -> NodeID {
        var agreed: NodeID?
        try await waitUntil("a leader all running nodes agree on", deadlineSeconds: deadlineSeconds) {
            var leaders = Set<NodeID?>()
            for node in nodes.values { leaders.insert(await node.status.leader) }
            agreed = leaders.count == 1 ? leaders.first ?? nil : nil
            guard let agreed, let leaderNode = nodes[agreed] else { return false }
            return await leaderNode.status.role == .leader
        }
        guard let agreed else { throw DeadlineExceeded(what: "leader election", seconds: deadlineSeconds) }
        return agreed
    }

    /// Waits until every running node has applied at least `index`.
    func waitForApplied(_ index: LogIndex, deadlineSeconds: Double = 20) async throws {
        try await waitUntil("every node applied \(index)", deadlineSeconds: deadlineSeconds) {
            for node in nodes.values where await node.status.appliedIndex < index { return false }
            return true
        }
    }

    func values(of key: String, on id: NodeID) throws -> [String] {
        guard let node = nodes[id], let stateMachine = stateMachines[id] else { return [] }
        return try stateMachine.values(of: key, in: node.environment)
    }
}
