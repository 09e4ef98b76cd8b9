import AsyncHTTPClient
import Foundation
import KeyCluster

/// Why the cluster could not answer, found by asking every described member for its status at once: how
/// many answered and whether any knows a leader. Turns "no member answered" into "no leader: 1 of 3
/// members reachable" with the members named — what an operator needs to act on.
struct ClusterDiagnosis: Sendable {
    struct Answer: Sendable {
        var member: ClientDescription.Member
        var status: ClusterStatusResponse?
    }

    var answers: [Answer]

    var reachable: [Answer] { answers.filter { $0.status != nil } }
    var unreachable: [Answer] { answers.filter { $0.status == nil } }
    /// The leader some reachable member names (the highest term's), if any.
    var leader: UInt64? {
        reachable.compactMap(\.status).filter { $0.leader != nil }.max { $0.term < $1.term }?.leader
    }
    /// Voters a leader needs: a majority of the members asked.
    var quorum: Int { answers.count / 2 + 1 }
    /// A leader some member names and a majority answering: a "leader" most members cannot reach is about to
    /// step down, so without a majority the cluster counts as having none.
    var workingLeader: UInt64? { reachable.count >= quorum ? leader : nil }

    /// Members asked at most, however many the answers name.
    static let maxMembers = 64

    /// Asks every member in `description` concurrently, each bounded by the member client's timeouts; then
    /// the members the answers name that the description does not (the membership in force may have grown),
    /// so the count is of the cluster, not of the file.
    static func probe(_ description: ClientDescription, http: HTTPClient) async -> ClusterDiagnosis {
        var answers = await ask(description.members, http: http)
        let described = Set(answers.map(\.member.id))
        var named: [UInt64: ClientDescription.Member] = [:]
        for status in answers.compactMap(\.status) {
            for member in status.members where !described.contains(member.id) && !member.clientAddress.isEmpty {
                named[member.id] = .init(id: member.id, region: member.region, clientAddress: member.clientAddress)
            }
        }
        let more = named.values.sorted { $0.id < $1.id }.prefix(max(0, maxMembers - answers.count))
        if !more.isEmpty { answers += await ask(Array(more), http: http) }
        return ClusterDiagnosis(answers: answers.sorted { $0.member.id < $1.member.id })
    }

    private static func ask(_ members: [ClientDescription.Member], http: HTTPClient) async -> [Answer] {
        await withTaskGroup(of: Answer.self) { group in
            for member in members {
                group.addTask {
                    let status = try? await MemberClient(address: member.clientAddress, http: http)
                        .get("/v1/cluster/status", as: ClusterStatusResponse.self)
                    return Answer(member: member, status: status)
                }
            }
            var answers: [Answer] = []
            for await answer in group { answers.append(answer) }
            return answers
        }
    }

    /// The error to report when a call failed with `original` and the cluster looks like this; nil when the
    /// cluster looks healthy (the original error is then the better report).
    func explaining(_ original: CLIError) -> CLIError? {
        let names = { (answers: [Answer]) in
            answers.map { "\($0.member.id) (\($0.member.region))" }.joined(separator: ", ")
        }
        let counted = "\(reachable.count) of \(answers.count) members reachable"
        var causes: [String] = []
        if !unreachable.isEmpty {
            causes.append("no answer from member\(unreachable.count == 1 ? "" : "s") \(names(unreachable))")
        }
        if let failed = reachable.first(where: { $0.status?.failure != nil }), let failure = failed.status?.failure {
            causes.append("member \(failed.member.id) stopped: \(failure)")
        }
        if let original = original.cause { causes.append("last error: \(original)") }
        let cause = causes.joined(separator: "; ")
        guard let leader = workingLeader else {
            return CLIError(
                "no leader: \(counted)", cause: cause,
                hint: reachable.count < quorum
                    ? "a leader needs \(quorum) of \(answers.count) members: start or reconnect the unreachable ones"
                    : "an election is in progress or the members cannot reach each other; retry in a few seconds",
                exitStatus: .unavailable, status: original.status, problemType: original.problemType)
        }
        guard unreachable.isEmpty else {
            return CLIError(
                original.message, cause: "leader \(leader); \(counted); \(cause)",
                hint: original.hint ?? "retry; the leader's members may be overloaded or partitioned from this machine",
                exitStatus: original.exitStatus, status: original.status, problemType: original.problemType)
        }
        return nil
    }
}
