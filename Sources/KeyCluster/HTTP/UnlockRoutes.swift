import Foundation
import Hummingbird
import Storage

/// `POST /v1/vehicles/{vin}/commands`: a key holder asks for a vehicle command (unlock, lock, drive, …) and
/// gets a token the vehicle verifies offline. The handler decodes, then: the signature envelope is checked
/// before anything waits (`KeyRequestAuthenticator`), the read point comes from the one read path
/// (`ReadPath`: strict, else bounded within `maxStaleness`, else 503), and the signer's grant and the
/// decision are read in one transaction at that point — so a refusal is exactly as consistent as a token.
/// Once the signature verifies, the request holds a slot of its key's share of the unlock budget
/// (`KeyShares`) until it is answered: one key used from many addresses cannot fill the budget.
struct UnlockRoutes: Sendable {
    let readPath: ReadPath
    let stateMachine: ServiceStateMachine
    let environment: Storage.Environment
    let signer: SigningCredential
    let nonces: NonceCache
    let keyShares: KeyShares

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
        let preference = try ReadPath.preference(of: request.uri.queryParameters.get("consistency"))
        let minRevision = try QueryParameter.unsigned("minRevision", in: request) ?? 0
        let authenticator = KeyRequestAuthenticator(store: stateMachine.authorizations, environment: environment)
        let envelope = try authenticator.envelope(request, body: bytes, vin: vin, command: body.command.rawValue)
        let verified = try authenticator.preAuthenticate(envelope)
        var keySlot: KeyShareSlot?
        defer { keySlot?.release() }
        // A replay, or a key over its share, is refused before it waits for anything, whenever the signature
        // could be checked here; the share first, so a request refused for it has not spent its nonce.
        if verified {
            keySlot = try keyShares.hold(.unlock, keyID: envelope.signed.keyID)
            try admitNonce(of: envelope)
        }
        let point = try await readPath.readPoint(minRevision: minRevision, preference: preference)
        let now = WallClock.nowUnixMs()
        let signing = signer.current
        let signed: KeyRequestAuthenticator.Authenticated
        let decision: AuthorizationDecision
        let withdrawn: Bool
        do {
            (signed, decision, withdrawn) = try environment.read { txn in
                let signed = try authenticator.authenticate(envelope, verified: verified, in: txn)
                return (
                    signed,
                    try stateMachine.authorizations.decide(
                        vin, signed.signer.keyID, permission: body.command, atUnixMs: now, in: txn),
                    try stateMachine.withdrawnFingerprints(atUnixMs: now, in: txn).contains(signing.fingerprint)
                )
            }
        } catch var problem as Problem where problem.statusCode == HTTPResponse.Status.forbidden.code {
            stateMachine.counters.unlockDecided()
            throw Self.decided(&problem, at: point)
        }
        if !verified {
            keySlot = try keyShares.hold(.unlock, keyID: envelope.signed.keyID)
            try admitNonce(of: envelope)
        }
        stateMachine.counters.unlockDecided()
        switch decision {
        case .allowed(let grant):
            // A withdrawn certificate signs nothing more: the client asks another member.
            if withdrawn { throw SignerRoutes.signerWithdrawn }
            return try signing.unlockToken(
                for: grant, command: body.command, nonce: signed.signer.nonce, nowUnixMs: now, revision: point.revision,
                consistency: point.consistency)
        case .denied(let denial):
            var problem = Problem(
                denial.problemKind, status: .forbidden,
                title: "The key may not do this now (\(ProblemKind.kebabCase(denial.rawValue)))")
            throw Self.decided(&problem, at: point)
        }
    }

    /// A refusal decided at `point` says so: it is as consistent as a token would have been.
    private static func decided(_ problem: inout Problem, at point: ReadPath.ReadPoint) -> Problem {
        problem.consistency = point.consistency
        problem.revision = point.revision
        return problem
    }

    private func admitNonce(of envelope: KeyRequestAuthenticator.Envelope) throws {
        try nonces.admitOrThrow(envelope.signed)
    }
}
