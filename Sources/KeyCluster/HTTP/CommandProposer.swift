import Foundation
import Hummingbird
import Raft

/// Puts service commands through Raft for the HTTP handlers, and makes reads honour `minRevision`.
struct CommandProposer: Sendable {
    let node: RaftNode

    /// How long a read with `minRevision` waits for this member to apply that far before answering 503.
    static let maxRevisionWaitMilliseconds = 2_000
    /// Polling interval while waiting for a revision to be applied.
    static let revisionPollMilliseconds = 5

    /// Replicates `command`; returns the state machine's answer and the revision it committed at.
    func propose(_ command: ServiceCommand) async throws -> (result: ServiceResult, revision: UInt64) {
        let encoded = Array(try JSONEncoder().encode(command))
        let answer: (result: [UInt8], revision: LogIndex)
        do {
            answer = try await node.propose(encoded)
        } catch {
            throw error.problem
        }
        return (try JSONDecoder().decode(ServiceResult.self, from: Data(answer.result)), answer.revision)
    }

    /// A linearizable read point (ReadIndex: a heartbeat round through the leader, no log write), applied
    /// here; nil when none could be obtained within `timeout` (no leader confirmed in time).
    func linearizableReadPoint(timeout: Duration) async -> UInt64? {
        try? await node.readIndex(timeout: timeout)
    }

    /// Waits until this member has applied the request's `minRevision` (a revision an earlier write
    /// returned), so a client never reads older state than it has seen; returns the applied index.
    func waitForRevision(_ request: Request) async throws -> UInt64 {
        let wanted = try QueryParameter.unsigned("minRevision", in: request) ?? 0
        let deadline = ContinuousClock.now + .milliseconds(Self.maxRevisionWaitMilliseconds)
        while true {
            let status = await node.status
            if status.appliedIndex >= wanted { return status.appliedIndex }
            guard ContinuousClock.now < deadline else {
                // A leader knows every committed revision: one beyond its commit index was never returned.
                if status.role == .leader && wanted > status.commitIndex {
                    throw Problem("unknown-revision", status: .notFound, title: "No revision \(wanted) has been committed")
                }
                throw Problem(
                    "behind-min-revision", status: .serviceUnavailable,
                    title: "This member has not applied revision \(wanted) yet (at \(status.appliedIndex))", retryAfterSeconds: 1)
            }
            try await Task.sleep(for: .milliseconds(Self.revisionPollMilliseconds))
        }
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
