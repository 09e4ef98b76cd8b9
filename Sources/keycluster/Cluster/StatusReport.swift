import KeyCluster

/// What `cluster status` concludes from every member's answer: healthy (every member answers, one leader,
/// none stopped or far behind), degraded (a leader, but a member unreachable, stopped or lagging), or
/// unavailable (no reachable member knows a leader) — with the exit status a script or a probe checks.
struct StatusReport: Encodable {
    enum State: String, Encodable {
        case healthy, degraded, unavailable

        var exitStatus: ExitStatus {
            switch self {
            case .healthy: .success
            case .degraded: .degraded
            case .unavailable: .unavailable
            }
        }
    }

    struct Member: Encodable {
        var id: UInt64
        var region: String
        var clientAddress: String
        var reachable: Bool
        /// The member's own answer (`GET /v1/cluster/status`), absent when it did not answer.
        var status: ClusterStatusResponse?

        init(description: ClientDescription.Member, status: ClusterStatusResponse?) {
            id = description.id
            region = description.region
            clientAddress = description.clientAddress
            reachable = status != nil
            self.status = status
        }

        var line: String {
            guard let status else { return "member \(id) (\(region)) \(clientAddress): unreachable" }
            return "member \(id) (\(region)) \(clientAddress): \(status.role), term \(status.term), "
                + "leader \(status.leader.map(String.init) ?? "none"), commit \(status.commitIndex), applied \(status.appliedIndex)"
                + (status.failure.map { ", FAILED: \($0)" } ?? "")
        }
    }

    /// Applied entries a member may trail the highest commit index seen before it counts as lagging: about a
    /// second of writes at full load, well past what one heartbeat round leaves behind.
    static let maxHealthyLagEntries: UInt64 = 1_000

    var state: State
    var leader: UInt64?
    var term: UInt64?
    var members: [Member]
    /// Why the cluster is not healthy, one reason per problem (empty when healthy).
    var problems: [String]

    init(_ diagnosis: ClusterDiagnosis) {
        members = diagnosis.answers.map { Member(description: $0.member, status: $0.status) }
        let answers = members.compactMap(\.status)
        leader = diagnosis.workingLeader
        term = answers.filter { $0.leader != nil }.map(\.term).max()
        let highestCommit = answers.map(\.commitIndex).max() ?? 0
        var problems: [String] = []
        if leader == nil {
            problems.append(
                "no leader: \(answers.count) of \(members.count) members reachable (a majority is \(diagnosis.quorum))")
        }
        for member in members {
            guard let status = member.status else {
                problems.append("member \(member.id) (\(member.region)) unreachable")
                continue
            }
            if let failure = status.failure { problems.append("member \(member.id) stopped: \(failure)") }
            let lag = highestCommit - min(highestCommit, status.appliedIndex)
            if lag > Self.maxHealthyLagEntries { problems.append("member \(member.id) is \(lag) entries behind") }
        }
        self.problems = problems
        state = leader == nil ? .unavailable : (problems.isEmpty ? .healthy : .degraded)
    }

    var summary: String {
        switch state {
        case .healthy:
            "healthy: leader \(leader.map(String.init) ?? "?"), \(members.count) of \(members.count) members reachable"
        case .degraded, .unavailable: "\(state.rawValue): " + problems.joined(separator: "; ")
        }
    }
}
