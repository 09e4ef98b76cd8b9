import Foundation
import Hummingbird
import RaftCore
import Storage

/// The key-authorization API: operators enroll vehicles and force-revoke keys (client certificate); owners
/// grant, revoke, suspend and resume keys (signed requests); reads of a vehicle, its audit and its signed key
/// list are authorized by role (`ReadAuthorizer`). Input is validated before anything is proposed; the state machine re-checks every rule
/// at apply time, the same way on every member. Reads go through the one read path (`ReadPath`) and say
/// which consistency they were answered with. A signed write whose signer's key this member does not hold
/// yet takes a strict read point before looking it up, so a grant acknowledged anywhere is seen. A verified
/// signed write holds a slot of its key's share of the write budget (`KeyShares`) until it is answered.
struct DomainRoutes: Sendable {
    let writer: CommandProposer
    let readPath: ReadPath
    let stateMachine: ServiceStateMachine
    let environment: Storage.Environment
    let signer: SigningCredential
    let reads: ReadAuthorizer
    let keyShares: KeyShares

    var store: KeyAuthorizationStore { stateMachine.authorizations }
    var authenticator: KeyRequestAuthenticator { KeyRequestAuthenticator(store: store, environment: environment) }

    struct RegisterVehicleBody: Decodable {
        var vin: VIN
        var ownerPublicKey: KeyPublicKey
        var ownerFormFactor: FormFactor
    }

    struct RecoverOwnershipBody: Decodable {
        var ownerPublicKey: KeyPublicKey
        var ownerFormFactor: FormFactor
        var reason: String
    }

    struct GrantKeyBody: Decodable {
        var publicKey: KeyPublicKey
        var formFactor: FormFactor
        var role: Role
        var permissions: [Permission]?
        var notBeforeUnixMs: Int64?
        var notAfterUnixMs: Int64?
    }

    func register(on router: Router<ServiceRequestContext>) {
        router.post("/v1/vehicles") { request, context in
            let operatorName = try await context.operatorName()
            let body = try RequestInput.json(RegisterVehicleBody.self, from: try await RequestInput.body(request))
            return try await apply(
                .registerVehicle(
                    .init(
                        vin: body.vin, ownerKey: body.ownerPublicKey, ownerFormFactor: body.ownerFormFactor,
                        operatorName: operatorName, timestampUnixMs: WallClock.nowUnixMs())))
        }
        router.post("/v1/vehicles/:vin/recover-owner") { request, context in
            let operatorName = try await context.operatorName()
            let vin = try RequestInput.vin(context)
            let body = try RequestInput.json(RecoverOwnershipBody.self, from: try await RequestInput.body(request))
            if let refusal = DomainCommand.RecoverOwnership.refusal(ofReason: body.reason) {
                throw Problem("invalid-body", status: .badRequest, title: refusal)
            }
            return try await apply(
                .recoverOwnership(
                    .init(
                        vin: vin, ownerKey: body.ownerPublicKey, ownerFormFactor: body.ownerFormFactor,
                        operatorName: operatorName,
                        reason: body.reason, timestampUnixMs: WallClock.nowUnixMs())))
        }
        router.post("/v1/vehicles/:vin/keys") { request, context in
            let vin = try RequestInput.vin(context)
            let bytes = try await RequestInput.body(request)
            return try await signedWrite(request, body: bytes, vin: vin, command: "grant") { signed -> KeyChange in
                let body = try RequestInput.json(GrantKeyBody.self, from: bytes)
                return try await apply(
                    .grant(
                        .init(
                            vin: vin, signer: signed.signer, publicKey: body.publicKey, formFactor: body.formFactor,
                            role: body.role,
                            permissions: body.permissions.map(Permissions.init), notBeforeUnixMs: body.notBeforeUnixMs,
                            notAfterUnixMs: body.notAfterUnixMs)))
            }
        }
        router.post("/v1/vehicles/:vin/keys/:keyID/:action") { request, context in
            let vin = try RequestInput.vin(context)
            let target = try keyID(context)
            let action = try context.parameters.require("action")
            if action == "force-revoke" {
                let operatorName = try await context.operatorName()
                return try await apply(
                    .forceRevoke(
                        .init(
                            vin: vin, target: target, operatorName: operatorName, timestampUnixMs: WallClock.nowUnixMs()
                        )))
            }
            let bytes = try await RequestInput.body(request)
            return try await signedWrite(request, body: bytes, vin: vin, command: action) { signed -> KeyChange in
                let change = DomainCommand.ChangeKey(vin: vin, signer: signed.signer, target: target)
                switch action {
                case "revoke": return try await apply(.revoke(change))
                case "suspend": return try await apply(.suspend(change))
                case "resume": return try await apply(.resume(change))
                default: throw Problem("not-found", status: .notFound, title: "No such key action: \(action)")
                }
            }
        }
        router.get("/v1/vehicles/:vin") { request, context in
            let vin = try RequestInput.vin(context)
            let ((vehicle, grants), point) = try await reads.read(request, context, vin: vin) { reader, txn in
                guard let vehicle = try store.vehicle(vin, in: txn) else { throw Self.vehicleNotFound }
                // Owners and operators see every grant; any other key holder its own only.
                if case .keyHolder(let grant) = reader, !reader.seesEverything { return (vehicle, [grant]) }
                return (vehicle, try store.grants(of: vin, in: txn))
            }
            return VehicleView(
                vehicle: vehicle, grants: grants, appliedIndex: point.revision, consistency: point.consistency)
        }
        router.get("/v1/vehicles/:vin/audit") { request, context in
            let vin = try RequestInput.vin(context)
            let after = try QueryParameter.unsigned("after", in: request) ?? 0
            let limit = Int(try QueryParameter.unsigned("limit", in: request) ?? UInt64(DomainLimits.maxAuditPageSize))
            // An empty page would say nothing (and `after` could not move on): 1…max, as the CLI's --limit.
            guard (1...DomainLimits.maxAuditPageSize).contains(limit) else {
                throw Problem(
                    "invalid-query", status: .badRequest, title: "limit must be 1–\(DomainLimits.maxAuditPageSize)")
            }
            let (records, point) = try await reads.read(request, context, vin: vin) { reader, txn in
                // The history names every key, window and operator: owners and operators only.
                guard reader.seesEverything else {
                    throw ReadAuthorizer.forbidden("A vehicle's audit is for its owners and operators")
                }
                return try store.auditPage(vin, afterRevision: after, limit: limit, in: txn)
            }
            return AuditPage(records: records, appliedIndex: point.revision, consistency: point.consistency)
        }
        router.get("/v1/vehicles/:vin/key-list") { request, context in
            let vin = try RequestInput.vin(context)
            let now = WallClock.nowUnixMs()
            let signing = signer.current
            let ((vehicle, grants, withdrawn), point) = try await reads.read(request, context, vin: vin) {
                reader, txn in
                // What the vehicle enforces, carried to it by a phone that talks to it: long-term key
                // holders (driver and above) and operators; short-term holders (guests, services) see
                // their own grant in the vehicle view only.
                if case .keyHolder(let grant) = reader, grant.role.rank < Role.driver.rank {
                    throw ReadAuthorizer.forbidden("The key list is fetched by drivers, owners and operators")
                }
                guard let vehicle = try store.vehicle(vin, in: txn) else { throw Self.vehicleNotFound }
                return (
                    vehicle, try store.grants(of: vin, in: txn),
                    try stateMachine.withdrawnFingerprints(atUnixMs: now, in: txn)
                )
            }
            if withdrawn.contains(signing.fingerprint) { throw SignerRoutes.signerWithdrawn }
            return try signing.keyList(
                vehicle: vehicle, grants: grants, nowUnixMs: now, readAt: point.revision,
                consistency: point.consistency,
                withdrawnSigners: withdrawn)
        }
    }

    static let vehicleNotFound = Problem("vehicle-not-found", status: .notFound, title: "No vehicle with this VIN")

    /// Authenticates a signed management request — at once when this member holds the signer's key, else
    /// after a strict read point (the grant may be newer than this member's state) — and runs `write` with
    /// the signer while holding a slot of its key's share of the write budget, taken as soon as the
    /// signature verifies and given back when `write` ends, however it ends. Whether the signer may make the
    /// change is decided again when the command applies, from the replicated state.
    private func signedWrite<Answer>(
        _ request: Request, body: ByteBuffer, vin: VIN, command: String,
        _ write: (KeyRequestAuthenticator.Authenticated) async throws -> Answer
    ) async throws -> Answer {
        let envelope = try authenticator.envelope(request, body: body, vin: vin, command: command)
        let verified = try authenticator.preAuthenticate(envelope)
        var keySlot: KeyShareSlot?
        defer { keySlot?.release() }
        if verified {
            keySlot = try keyShares.hold(request, keyID: envelope.signed.keyID)
        } else {
            let minRevision = try QueryParameter.unsigned("minRevision", in: request) ?? 0
            _ = try await readPath.readPoint(minRevision: minRevision, preference: .strictOnly)
        }
        let signed = try environment.read { txn in try authenticator.authenticate(envelope, verified: verified, in: txn)
        }
        if keySlot == nil { keySlot = try keyShares.hold(request, keyID: envelope.signed.keyID) }
        return try await write(signed)
    }

    private func apply(_ command: DomainCommand) async throws -> KeyChange {
        switch try await writer.propose(.domain(command)).result {
        case .domain(.applied(let revision, let grant)):
            return KeyChange(revision: revision, grant: grant)
        case .domain(.refused(let refusal)):
            throw Problem(refusal.code.problemKind, status: Self.status(of: refusal.code), title: refusal.reason)
        case .refused(let reason):
            throw Problem("refused", status: .unprocessableContent, title: "The command was refused", detail: reason)
        case .done, .counter:
            preconditionFailure("a domain command answered with a diagnostic result")
        case .noSpace:
            preconditionFailure("CommandProposer throws a storage refusal, never returns it")
        }
    }

    /// HTTP status of each refusal: missing things 404, conflicts 409, authority 403, replay 409, else 422.
    static func status(of code: DomainRefusal.Code) -> HTTPResponse.Status {
        switch code {
        case .vehicleNotFound, .grantNotFound: .notFound
        case .vehicleExists, .keyAlreadyGranted, .replayedNonce, .invalidTransition, .lastOwner, .staleRequest:
            .conflict
        case .signerNotAuthorized, .notOwner, .exceedsSignerAuthority, .targetOutranksSigner: .forbidden
        case .invalidCommand, .guestMustExpire, .tooManyKeys: .unprocessableContent
        }
    }

    private func keyID(_ context: ServiceRequestContext) throws -> KeyID {
        do {
            return try KeyID(validating: try context.parameters.require("keyID"))
        } catch let error as DomainInputError {
            throw Problem("invalid-key-id", status: .badRequest, title: "Invalid key id", detail: error.description)
        }
    }
}

/// Signed documents (key lists, unlock tokens) are answered as they are: the document is the contract.
extension SignedDocument: ResponseEncodable {}
