import Foundation
import Hummingbird
import Raft
import Storage

/// `POST /v1/vehicles/{vin}/commands`: a key holder asks for a vehicle command (unlock, lock, drive, …) and
/// gets a token the vehicle verifies offline — decided (design §6) with
/// 1. **strict** consistency when a linearizable read point is obtained within `strictReadTimeout`;
/// 2. else **bounded** consistency from local state, when this member knows its state was current no more
///    than `maxStaleness` ago and it has applied the request's `minRevision`;
/// 3. else 503 with `Retry-After` and the other members' addresses.
/// The token and the answer say which consistency was used. A client that accepts bounded staleness says
/// so with `?consistency=bounded`: a member whose state is fresh then decides from it at once, without the
/// read round through the leader (like etcd's serializable reads); the guarantee is the same as for any
/// bounded decision — a revocation is honoured everywhere within `maxStaleness`.
struct UnlockRoutes: Sendable {
    let proposer: CommandProposer
    let stateMachine: ServiceStateMachine
    let environment: Storage.Environment
    let signer: NodeDocumentSigner
    let nonces: NonceCache
    let maxStaleness: Duration

    /// How long an unlock waits for a linearizable read point before trying a bounded read.
    static let strictReadTimeout: Duration = .milliseconds(500)

    struct CommandBody: Decodable {
        var command: Permission
    }

    func register(on router: Router<ServiceRequestContext>) {
        router.post("/v1/vehicles/:vin/commands") { request, context in
            try await decide(request, context)
        }
    }

    private func decide(_ request: Request, _ context: ServiceRequestContext) async throws -> SignedDocument {
        let vin = try RequestInput.vin(context)
        let bytes = try await RequestInput.body(request)
        let body = try RequestInput.json(CommandBody.self, from: bytes)
        let acceptsBounded = try Self.acceptsBounded(request)
        let minRevision = try await proposer.waitForRevision(request)
        let authenticator = KeyRequestAuthenticator(store: stateMachine.authorizations, environment: environment)
        let signed = try authenticator.authenticate(request, body: bytes, vin: vin, command: body.command.rawValue)
        let now = WallClock.nowUnixMs()
        switch nonces.admit(vin: vin, keyID: signed.signer.keyID, nonce: signed.signer.nonce, timestampUnixMs: signed.signer.timestampUnixMs, nowUnixMs: now) {
        case .fresh: break
        case .replayed: throw Problem("replayed-nonce", status: .conflict, title: "This request was already used")
        case .full: throw Problem("overloaded", status: .serviceUnavailable, title: "Too many requests in flight", retryAfterSeconds: 1)
        }
        let (revision, consistency) = try await readPoint(atLeast: minRevision, acceptsBounded: acceptsBounded)
        let decision = try environment.read { txn in
            try stateMachine.authorizations.decide(vin, signed.signer.keyID, permission: body.command, atUnixMs: now, in: txn)
        }
        switch decision {
        case .allowed(let grant):
            return try signer.unlockToken(
                for: grant, command: body.command, nonce: signed.signer.nonce, nowUnixMs: now, revision: revision,
                consistency: consistency)
        case .denied(let denial):
            throw Problem("denied-\(denial.rawValue)", status: .forbidden, title: "The key may not do this now (\(denial.rawValue))")
        }
    }

    /// The revision and consistency a decision is read at (steps 1–3 above; bounded first when accepted).
    private func readPoint(atLeast minRevision: UInt64, acceptsBounded: Bool) async throws -> (UInt64, ReadConsistency) {
        if acceptsBounded, let revision = await boundedReadPoint(atLeast: minRevision) { return (revision, .bounded) }
        if let readPoint = await proposer.linearizableReadPoint(timeout: Self.strictReadTimeout) {
            return (max(readPoint, minRevision), .strict)
        }
        if let revision = await boundedReadPoint(atLeast: minRevision) { return (revision, .bounded) }
        var problem = Problem(
            "no-fresh-state", status: .serviceUnavailable,
            title: "No leader answered in time and this member's state is not known to be fresh", retryAfterSeconds: 1)
        problem.members = await proposer.node.membershipStatus.otherClientAddresses
        throw problem
    }

    /// This member's applied revision, when bounded reads are enabled, it has applied `minRevision`, and it
    /// knows its state was current within `maxStaleness`; else nil.
    private func boundedReadPoint(atLeast minRevision: UInt64) async -> UInt64? {
        guard maxStaleness > .zero else { return nil }
        let status = await proposer.node.status
        guard status.appliedIndex >= minRevision, let currentAsOf = await proposer.node.stateCurrentAsOf,
            ContinuousClock.now - currentAsOf <= maxStaleness
        else { return nil }
        return status.appliedIndex
    }

    /// `?consistency=strict` (the default) or `bounded`; anything else is a 400.
    private static func acceptsBounded(_ request: Request) throws -> Bool {
        switch request.uri.queryParameters.get("consistency") {
        case nil, ReadConsistency.strict.rawValue?: return false
        case ReadConsistency.bounded.rawValue?: return true
        default: throw Problem("invalid-query", status: .badRequest, title: "consistency must be strict or bounded")
        }
    }
}
