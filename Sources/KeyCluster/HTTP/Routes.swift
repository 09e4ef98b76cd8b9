import Foundation
import Hummingbird
import RaftNode
import RaftTransport

/// The HTTP API of one member. Handlers decode and check input first, so bad input is refused with a
/// problem document before anything reaches the log.
struct Routes: Sendable {
    let node: RaftNode
    let stateMachine: ServiceStateMachine
    /// How stale this member's state may be and still count as ready without a leader (the
    /// configuration's effective `maxStalenessMilliseconds`).
    let maxStaleness: Duration
    /// Whether the operator-only diagnostic routes are served.
    let debugRoutes: Bool
    let storage: StorageGuard
    let clusterGate: ClusterIDGate
    /// The peer links, for each member's link state in the status.
    let peers: PeerTransport
    var proposer: CommandProposer { CommandProposer(node: node, storage: storage) }

    func register(on router: Router<ServiceRequestContext>) {
        // Liveness includes storage: a member that stopped on a storage failure, or whose writes wait for
        // disk space, is not healthy even though it still answers.
        router.get("/healthz") { _, _ in
            let status = await node.status
            if let failure = status.failure {
                throw Problem(
                    "storage-failed", status: .serviceUnavailable,
                    title: "This member stopped after a storage failure; it answers nothing until restarted",
                    detail: failure)
            }
            if let outOfSpace = status.outOfSpace {
                throw Problem(
                    "storage-out-of-space", status: .serviceUnavailable,
                    title:
                        "This member's disk is full: its writes wait until space is freed, then resume by themselves",
                    detail: outOfSpace, retryAfterSeconds: 5)
            }
            // The build too: during a rolling upgrade an operator (or a script) sees which member runs which.
            return "ok\nversion \(BuildInfo.version)\n"
        }
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        router.get("/readyz") { _, _ in
            let status = await node.status
            guard await node.membershipStatus.isMember else {
                throw Problem(
                    "not-a-member", status: .serviceUnavailable,
                    title: "This member is not (or not yet) in the cluster's membership; an operator adds it",
                    retryAfterSeconds: 1)
            }
            let fresh = await node.stateCurrentAsOf().map { ContinuousClock.now - $0 <= maxStaleness } ?? false
            guard status.failure == nil, status.leader != nil || fresh else {
                throw Problem(
                    "not-ready", status: .serviceUnavailable,
                    title: "No leader is known and this member's state is not fresh enough for bounded reads",
                    retryAfterSeconds: 1)
            }
            let alarms = storage.alarms().map(\.description).sorted()
            return ReadyResponse(
                ready: true, leader: status.leader?.rawValue, boundedReads: fresh,
                writes: alarms.isEmpty ? "accepted" : "refused",
                storageAlarms: alarms)
        }
        router.get("/") { _, _ in
            let origins = StatusPage.memberOrigins(await node.membershipStatus.configuration)
            return Response(
                status: .ok, headers: StatusPage.headers(memberOrigins: origins),
                body: .init(byteBuffer: ByteBuffer(string: StatusPage.html)))
        }
        router.get("/v1/cluster/status") { request, _ in
            let observed = ClusterStatusResponse.Observations(
                connected: peers.status().peers.mapValues(\.isConnected),
                unlocksDecided: stateMachine.counters.unlocksDecided,
                writesApplied: stateMachine.counters.writesApplied, storageAlarms: Array(storage.alarms()),
                nowUnixMs: WallClock.nowUnixMs())
            let membership = await node.membershipStatus
            let status = ClusterStatusResponse(
                status: await node.status, membership: membership, clusterID: clusterGate.clusterID, observed: observed)
            // Another member's status page may read this one (CORS), no other site: the origin must be a
            // member's. Nothing here needs credentials, and none are allowed.
            var headers: HTTPFields = [.vary: "Origin"]
            if let origin = request.headers[.origin],
                StatusPage.memberOrigins(membership.configuration).contains(origin)
            {
                headers[.accessControlAllowOrigin] = origin
            }
            return EditedResponse(headers: headers, response: status)
        }
        if debugRoutes { registerDebugRoutes(on: router) }
    }

    /// The diagnostic routes: only when the configuration enables them, and then only for operators — two of
    /// them write to the replicated log (design §9: nothing anonymous has an effect).
    private func registerDebugRoutes(on router: Router<ServiceRequestContext>) {
        router.put("/debug/kv/:key") { request, context in
            _ = try await context.operatorName()
            return try await putDebugValue(request: request, context: context)
        }
        router.post("/debug/counter/:key") { _, context in
            _ = try await context.operatorName()
            return try await propose(.debugIncrement(key: try debugKey(context)))
        }
        router.get("/debug/counter/:key") { _, context in
            _ = try await context.operatorName()
            let key = try debugKey(context)
            let value = try stateMachine.debugValue("counter/\(key)", in: node.environment)
            return DebugValueResponse(key: key, value: value ?? "0", appliedIndex: await node.status.appliedIndex)
        }
        router.get("/debug/kv/:key") { _, context in
            _ = try await context.operatorName()
            let key = try debugKey(context)
            guard let value = try stateMachine.debugValue(key, in: node.environment) else {
                throw Problem("not-found", status: .notFound, title: "No value under this key")
            }
            return DebugValueResponse(key: key, value: value, appliedIndex: await node.status.appliedIndex)
        }
    }

    /// The `:key` of a debug route: 1–`maxDebugKeyBytes` URL-unreserved ASCII characters, exactly as the
    /// OpenAPI document's `DebugKey` pattern says (a length in bytes and one in characters would disagree).
    private func debugKey(_ context: ServiceRequestContext) throws -> String {
        let key = try context.parameters.require("key")
        let unreserved = { (byte: UInt8) in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || Array("._~-".utf8).contains(byte)
        }
        guard (1...ServiceStateMachine.maxDebugKeyBytes).contains(key.utf8.count), key.utf8.allSatisfy(unreserved)
        else {
            throw Problem(
                "invalid-key", status: .badRequest,
                title:
                    "The key must be 1–\(ServiceStateMachine.maxDebugKeyBytes) characters of A–Z, a–z, 0–9, '.', '_', '~', '-'"
            )
        }
        return key
    }

    private func putDebugValue(request: Request, context: ServiceRequestContext) async throws -> WriteResponse {
        let key = try debugKey(context)
        let body = try await RequestInput.body(request)
        return try await propose(.debugPut(key: key, value: String(decoding: body.readableBytesView, as: UTF8.self)))
    }

    /// Replicates a diagnostic command and answers with the revision it committed at.
    private func propose(_ command: ServiceCommand) async throws -> WriteResponse {
        let answer = try await proposer.propose(command)
        switch answer.result {
        case .done:
            return WriteResponse(revision: answer.revision)
        case .counter(let value):
            return WriteResponse(revision: answer.revision, counter: value)
        case .refused(let reason):
            throw Problem("refused", status: .unprocessableContent, title: "The command was refused", detail: reason)
        case .domain:
            preconditionFailure("a diagnostic command answered with a domain result")
        case .noSpace:
            preconditionFailure("CommandProposer throws a storage refusal, never returns it")
        }
    }
}

/// `GET /readyz`: why this member is ready.
struct ReadyResponse: ResponseEncodable {
    var ready: Bool
    var leader: UInt64?
    var boundedReads: Bool
    /// "refused" while storage alarms stand (writes other than revocations get 507); reads and unlocks go on,
    /// so the member stays ready.
    var writes: String
    var storageAlarms: [String]
}

/// The answer to every write: the revision (Raft index) it committed at, usable as `minRevision` later.
public struct WriteResponse: ResponseEncodable, Decodable, Sendable {
    public var revision: UInt64
    /// For counter increments: the value after this one.
    public var counter: UInt64?
}

public struct DebugValueResponse: ResponseEncodable, Decodable, Sendable {
    public var key: String
    public var value: String
    public var appliedIndex: UInt64
}
