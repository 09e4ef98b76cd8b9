import AsyncHTTPClient
import Foundation

/// Operator membership calls (`keycluster cluster members`, the tests): finds the leader, sends each change
/// there, and follows a redirect to a new leader.
public struct MembershipSession: Sendable {
    public let http: HTTPClient
    /// Members to ask first (from a configuration file; the live list may differ after changes).
    public let addresses: [String]

    /// `http` must present an operator certificate.
    public init(http: HTTPClient, addresses: [String]) {
        precondition(!addresses.isEmpty, "a session needs a member to ask")
        self.http = http
        self.addresses = addresses
    }

    /// Hops to another member (421 with the leader's address, or a leader change meanwhile) before giving up.
    public static let maxAttempts = 5
    public static let retryDelay: Duration = .milliseconds(500)

    /// The member list from the first member that answers.
    public func list() async throws -> MemberListResponse {
        var lastError: any Error = MemberClient.CallError.unreachable("no member listed in the configuration")
        for address in addresses {
            do {
                return try await MemberClient(address: address, http: http).sendShowingProblems(.GET, "/v1/cluster/members", body: nil)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// The member list as the leader sees it (with each member's lag), or any member's when no leader is known.
    public func listFromLeader() async throws -> MemberListResponse {
        let any = try await list()
        guard any.leader != any.servedBy, let address = leaderAddress(in: any) else { return any }
        return (try? await MemberClient(address: address, http: http).sendShowingProblems(.GET, "/v1/cluster/members", body: nil)) ?? any
    }

    public func change(_ path: String, force: Bool) async throws -> MemberListResponse {
        try await change(path, body: force ? Array(#"{"force":true}"#.utf8) : [])
    }

    /// A new leader that cannot take a change yet: retrying cannot apply a change twice.
    public static let notYetProblem = "urn:keycluster:problem:change-not-yet"

    /// Sends a change to the leader; retries only when the answer says it was not made (421: elsewhere; 503
    /// change-not-yet: shortly). A change whose outcome is unknown is not retried: the operator lists first.
    public func change(_ path: String, body: [UInt8]) async throws -> MemberListResponse {
        var target = leaderAddress(in: try await list())
        var lastError: any Error = MemberClient.CallError.unreachable("no leader is known")
        for attempt in 0..<Self.maxAttempts {
            if attempt > 0 { try await Task.sleep(for: Self.retryDelay) }
            guard let address = target else {
                target = leaderAddress(in: try await list())
                continue
            }
            do {
                return try await MemberClient(address: address, http: http).sendShowingProblems(.POST, path, body: body)
            } catch let refusal as MemberClient.Refusal where refusal.status == 421 {
                lastError = refusal
                target = refusal.problem?.members?.first
            } catch let refusal as MemberClient.Refusal where refusal.problem?.type == Self.notYetProblem {
                lastError = refusal
            } catch let unreachable as MemberClient.CallError {
                lastError = unreachable
                target = nil
            }
        }
        throw lastError
    }

    private func leaderAddress(in list: MemberListResponse) -> String? {
        list.members.first { $0.id == list.leader }?.clientAddress
    }
}
