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
/// The token and the answer say which consistency was used.
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
        let minRevision = try await proposer.waitForRevision(request)
        let authenticator = KeyRequestAuthenticator(store: stateMachine.authorizations, environment: environment)
        let signed = try authenticator.authenticate(request, body: bytes, vin: vin, command: body.command.rawValue)
        let now = WallClock.nowUnixMs()
        switch nonces.admit(vin: vin, keyID: signed.signer.keyID, nonce: signed.signer.nonce, timestampUnixMs: signed.signer.timestampUnixMs, nowUnixMs: now) {
        case .fresh: break
        case .replayed: throw Problem("replayed-nonce", status: .conflict, title: "This request was already used")
        case .full: throw Problem("overloaded", status: .serviceUnavailable, title: "Too many requests in flight", retryAfterSeconds: 1)
        }
        let (revision, consistency) = try await readPoint(atLeast: minRevision)
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

    /// The revision and consistency a decision is read at (steps 1–3 above).
    private func readPoint(atLeast minRevision: UInt64) async throws -> (UInt64, ReadConsistency) {
        if let readPoint = await proposer.linearizableReadPoint(timeout: Self.strictReadTimeout) {
            return (max(readPoint, minRevision), .strict)
        }
        let status = await proposer.node.status
        if maxStaleness > .zero, status.appliedIndex >= minRevision,
            let currentAsOf = await proposer.node.stateCurrentAsOf, ContinuousClock.now - currentAsOf <= maxStaleness
        {
            return (status.appliedIndex, .bounded)
        }
        var problem = Problem(
            "no-fresh-state", status: .serviceUnavailable,
            title: "No leader answered in time and this member's state is not known to be fresh", retryAfterSeconds: 1)
        problem.members = await proposer.node.membershipStatus.otherClientAddresses
        throw problem
    }
}
