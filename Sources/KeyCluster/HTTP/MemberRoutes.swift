import Foundation
import Hummingbird
import RaftCore
import RaftNode
import RaftTransport

/// Operator membership changes (operator client certificate required), one at a time: add a learner, promote
/// it once caught up, remove a member (the leader included). Changes go to the leader; another member answers
/// 421 with the leader's address. Input is checked before anything is proposed, so a refusal changes nothing.
struct MemberRoutes: Sendable {
    let node: RaftNode

    /// How long a change may take to commit and apply on the leader before the call answers 503.
    static let maxChangeWait: Duration = .seconds(5)
    /// Longest region name accepted.
    static let maxRegionBytes = 64

    struct AddBody: Decodable {
        var id: UInt64
        var region: String
        var peerAddress: String
        var clientAddress: String
        var force: Bool?
    }

    struct ForceBody: Decodable {
        var force: Bool?
    }

    func register(on router: Router<ServiceRequestContext>) {
        router.get("/v1/cluster/members") { _, context in
            _ = try await context.operatorName()
            return MemberListResponse(await node.membershipStatus)
        }
        router.post("/v1/cluster/members") { request, context in
            _ = try await context.operatorName()
            let body = try RequestInput.json(AddBody.self, from: try await RequestInput.body(request))
            let change = try await Self.learner(from: body, joining: await node.membershipStatus.configuration)
            return try await apply(change, force: body.force ?? false)
        }
        router.post("/v1/cluster/members/:id/:action") { request, context in
            _ = try await context.operatorName()
            let action = context.parameters.get("action")
            guard action == "promote" || action == "remove" else {
                throw Problem("unknown-action", status: .notFound, title: "The action must be promote or remove")
            }
            let (id, force) = try await Self.target(request, context)
            return try await apply(action == "promote" ? .promote(id) : .remove(id), force: force)
        }
    }

    /// Proposes `change` and answers the membership once it is applied on this (leading) member.
    private func apply(_ change: MembershipChange, force: Bool) async throws -> MemberListResponse {
        let revision: LogIndex
        do {
            revision = try await node.changeMembership(change, force: force, timeout: Self.maxChangeWait)
        } catch let error as MembershipChangeError {
            throw Self.problem(for: error, membership: await node.membershipStatus)
        } catch {
            throw Problem(
                "change-outcome-unknown", status: .serviceUnavailable,
                title: "The change was proposed but not applied in time",
                detail: "\(error); list the members to see whether it took effect", retryAfterSeconds: 1)
        }
        return MemberListResponse(await node.membershipStatus, revision: revision)
    }

    /// The learner an add request describes, refused when a field is malformed or an address is already a member's.
    private static func learner(from body: AddBody, joining configuration: MembershipConfiguration) throws
        -> MembershipChange
    {
        guard body.id > 0 else { throw invalid("id must be a positive integer (0 is reserved)") }
        guard (1...maxRegionBytes).contains(body.region.utf8.count),
            body.region.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else { throw invalid("region must be 1–\(maxRegionBytes) letters, digits, '-', '_' or '.'") }
        for (name, address) in [("peerAddress", body.peerAddress), ("clientAddress", body.clientAddress)] {
            guard address.utf8.count <= MemberAddresses.maxAddressBytes, PeerAddress(parsing: address) != nil else {
                throw invalid(
                    "\(name) '\(address)' is not host:port (at most \(MemberAddresses.maxAddressBytes) bytes)")
            }
        }
        let taken = configuration.addresses.filter { $0.key != NodeID(body.id) }.values.flatMap {
            [$0.peer, $0.client]
        }
        if let clash = [body.peerAddress, body.clientAddress].first(where: taken.contains) {
            throw Problem(
                "address-in-use", status: .conflict, title: "Another member already uses this address", detail: clash)
        }
        return .addLearner(
            NodeID(body.id), region: body.region,
            addresses: MemberAddresses(peer: body.peerAddress, client: body.clientAddress))
    }

    /// The member named in the path and the optional `{"force": true}` body of a promotion or removal.
    private static func target(_ request: Request, _ context: ServiceRequestContext) async throws -> (NodeID, Bool) {
        guard let raw = context.parameters.get("id"), let id = UInt64(raw), id > 0 else {
            throw invalid("the member id in the path must be a positive integer")
        }
        let bytes = try await RequestInput.body(request)
        let force = bytes.readableBytes == 0 ? false : try RequestInput.json(ForceBody.self, from: bytes).force ?? false
        return (NodeID(id), force)
    }

    private static func invalid(_ detail: String) -> Problem {
        Problem("invalid-member", status: .badRequest, title: "The member description is not valid", detail: detail)
    }

    /// How a refused change is told to the operator: what to do next is in the title or detail.
    static func problem(for error: MembershipChangeError, membership: MembershipStatus) -> Problem {
        switch error {
        case .notLeader(let leader):
            var problem = Problem(
                "not-leader", status: .misdirectedRequest, title: "Membership changes are made on the leader",
                detail: "send it to the leader (\(leader.map { "\($0)" } ?? "unknown yet")) at the address in members")
            problem.members = membership.clientAddress(of: leader).map { [$0] }
            return problem
        case .noEntryCommittedInTerm, .uncommittedBytesLimitExceeded:
            return Problem(
                "change-not-yet", status: .serviceUnavailable, title: "The leader cannot take a change yet",
                detail: "\(error)", retryAfterSeconds: 1)
        case .changePending:
            return Problem(
                "change-pending", status: .conflict, title: "Another membership change has not committed yet",
                detail: "\(error)", retryAfterSeconds: 1)
        case .learnerLagging:
            return Problem(
                "learner-lagging", status: .conflict, title: "The learner has not caught up yet",
                detail: "\(error); wait until its lag (keycluster cluster members list) is small, then promote again",
                retryAfterSeconds: 1)
        case .placementBreaking(let reason):
            return Problem(
                "placement-refused", status: .conflict, title: "The change would let one region hold a quorum",
                detail: "\(reason) To do it anyway, repeat the request with \"force\": true (CLI: --force).")
        case .notAMember:
            return Problem("not-a-member", status: .notFound, title: "No such member", detail: "\(error)")
        case .alreadyMember, .notALearner, .removesLastVoter:
            return Problem(
                "change-refused", status: .conflict, title: "The change does not apply to the current membership",
                detail: "\(error)")
        }
    }
}
