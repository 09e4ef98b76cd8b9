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
                return try await MemberClient(address: address, http: http).sendShowingProblems(
                    .GET, "/v1/cluster/members", body: nil)
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
        return
            (try? await MemberClient(address: address, http: http).sendShowingProblems(
                .GET, "/v1/cluster/members", body: nil)) ?? any
    }

    public func change(_ path: String, force: Bool, inEffect: @escaping InEffect) async throws -> MemberListResponse {
        try await change(path, body: force ? Array(#"{"force":true}"#.utf8) : [], inEffect: inEffect)
    }

    /// Whether a change shows in a member list, i.e. has been made.
    public typealias InEffect = @Sendable (MemberListResponse) -> Bool

    /// Member `id` is in the list (as `role` when given: "voter" or "learner").
    public static func includes(_ id: UInt64, as role: String? = nil) -> InEffect {
        { list in list.members.contains { $0.id == id && (role == nil || $0.role == role) } }
    }

    /// Member `id` is not in the list.
    public static func excludes(_ id: UInt64) -> InEffect {
        { list in !list.members.contains { $0.id == id } }
    }

    /// A new leader that cannot take a change yet: retrying cannot apply a change twice.
    public static let notYetProblem = "urn:keycluster:problem:change-not-yet"

    /// Sends a change to the leader; retries only when the answer says it was not made (421: elsewhere; 503
    /// change-not-yet: shortly). When the leader cannot be reached — which includes a timeout after the
    /// request was delivered and perhaps applied — the member list decides: a change `inEffect` already
    /// shows is reported as made, rather than retried into a refusal (409/404) of what succeeded.
    public func change(_ path: String, body: [UInt8], inEffect: @escaping InEffect) async throws -> MemberListResponse {
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
                if let current = try? await listFromLeader(), inEffect(current) { return current }
            }
        }
        throw lastError
    }

    private func leaderAddress(in list: MemberListResponse) -> String? {
        list.members.first { $0.id == list.leader }?.clientAddress
    }
}
