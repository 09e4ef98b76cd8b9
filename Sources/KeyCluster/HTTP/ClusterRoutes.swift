import Foundation
import Hummingbird
import RaftCore
import RaftNode

/// Operator actions on the cluster itself (operator client certificate required).
struct ClusterRoutes: Sendable {
    let node: RaftNode

    /// How long a leadership transfer may take before the call answers 503 (the core abandons it after an
    /// election timeout anyway).
    static let maxTransferWait: Duration = .seconds(5)
    /// How often the transfer's outcome is looked at while it runs (an operator action, rare).
    static let transferPollMilliseconds = 10

    struct TransferBody: Decodable {
        var to: UInt64
    }

    struct TransferResponse: ResponseEncodable {
        var leader: UInt64
        var term: UInt64
    }

    func register(on router: Router<ServiceRequestContext>) {
        router.post("/v1/cluster/transfer-leader") { request, context in
            _ = try await context.operatorName()
            let body = try RequestInput.json(TransferBody.self, from: try await RequestInput.body(request))
            let target = NodeID(body.to)
            do {
                try await node.transferLeadership(to: target)
            } catch {
                let membership = await node.membershipStatus
                var problem = Problem(
                    "transfer-refused", status: .conflict, title: "Leadership cannot be transferred from here",
                    detail: "\(error)")
                problem.members = membership.clientAddress(of: membership.leader).map { [$0] }
                throw problem
            }
            let deadline = ContinuousClock.now + Self.maxTransferWait
            while ContinuousClock.now < deadline {
                let status = await node.status
                if status.leader == target { return TransferResponse(leader: body.to, term: status.term) }
                try await Task.sleep(for: .milliseconds(Self.transferPollMilliseconds))
            }
            throw Problem(
                "transfer-timed-out", status: .serviceUnavailable, title: "The transfer did not complete in time",
                retryAfterSeconds: 1)
        }
    }
}
