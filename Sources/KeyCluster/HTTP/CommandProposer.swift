import Foundation
import Hummingbird
import RaftCore
import RaftNode

/// Puts service commands through Raft for the HTTP handlers (reads go through `ReadPath`).
struct CommandProposer: Sendable {
    let node: RaftNode
    /// Refuses capped writes while storage alarms stand (507), before they reach the log.
    let storage: StorageGuard

    /// Replicates `command`; returns the state machine's answer and the revision it committed at. A write
    /// refused for storage alarms — at the door or at apply — is thrown as the 507 problem.
    func propose(_ command: ServiceCommand) async throws -> (result: ServiceResult, revision: UInt64) {
        if let refusal = storage.refusal(for: command) { throw refusal }
        let encoded = try command.encoded()
        let answer: (result: [UInt8], revision: LogIndex)
        do {
            answer = try await node.propose(encoded, lane: command.proposalLane)
        } catch {
            var problem = error.problem
            // Where else to go: a member that knows no leader names the others.
            if error == .refused(.noLeader) { problem.members = await node.membershipStatus.otherClientAddresses }
            throw problem
        }
        let result = try ServiceResult(decoding: answer.result)
        if case .noSpace(let alarms) = result { throw StorageGuard.noSpace(alarms) }
        return (result, answer.revision)
    }
}

/// Query parameters that must be well-formed when present: a malformed one is a 400, never ignored.
enum QueryParameter {
    static func unsigned(_ name: String, in request: Request) throws -> UInt64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = UInt64(text) else {
            throw Problem("invalid-query", status: .badRequest, title: "\(name) must be a non-negative integer")
        }
        return value
    }
}
