import Foundation
import Hummingbird
import Storage

/// Who may read a vehicle (design §9, issue 13): its key holders by a signed request (command `read`) or an
/// operator by certificate — never an anonymous caller, since a VIN is printed on the windscreen. The
/// signature is checked before anything waits (as for unlocks), the signer's grant is looked up at the read
/// point in the same transaction as the data, and the nonce is spent in the member's replay cache. A
/// verified key holder's read holds a slot of its key's share of the read budget (`KeyShares`) while it
/// waits and reads.
struct ReadAuthorizer: Sendable {
    let readPath: ReadPath
    let store: KeyAuthorizationStore
    let environment: Storage.Environment
    let nonces: NonceCache
    let keyShares: KeyShares

    /// The `command` a signed read carries.
    static let readCommand = "read"
    /// Sent with every 401: how to authenticate (RFC 9110 §11.6.1).
    static let challenge = #"KeyCluster-Signature realm="keycluster", command="read""#

    /// Who is reading.
    enum Reader {
        case `operator`
        /// A key holder, with its grant at the read point (active and within its window now).
        case keyHolder(Grant)

        /// Whether the reader may see the whole vehicle: operators and owners.
        var seesEverything: Bool {
            switch self {
            case .operator: true
            case .keyHolder(let grant): grant.role == .owner
            }
        }
    }

    /// Authenticates the reader, takes the read point (`?consistency=`, `?minRevision=`), and runs `read` in
    /// the transaction at that point with the reader — which decides what the reader sees, or throws 403.
    func read<R>(
        _ request: Request, _ context: ServiceRequestContext, vin: VIN,
        _ read: (Reader, borrowing ReadTransaction) throws -> R
    ) async throws -> (R, ReadPath.ReadPoint) {
        let preference = try ReadPath.preference(of: request.uri.queryParameters.get("consistency"))
        let minRevision = try QueryParameter.unsigned("minRevision", in: request) ?? 0
        if await context.hasClientCertificate {
            _ = try await context.operatorName()
            let point = try await readPath.readPoint(minRevision: minRevision, preference: preference)
            return (try environment.read { txn in try read(.operator, txn) }, point)
        }
        guard request.headers[KeyRequestAuthenticator.signatureHeader] != nil else {
            var problem = Problem(
                "unauthenticated", status: .unauthorized,
                title:
                    "Reading a vehicle needs a signed request from one of its key holders (command \"read\") or an operator certificate"
            )
            problem.wwwAuthenticate = Self.challenge
            throw problem
        }
        let authenticator = KeyRequestAuthenticator(store: store, environment: environment)
        let envelope = try authenticator.envelope(request, body: ByteBuffer(), vin: vin, command: Self.readCommand)
        let verified = try authenticator.preAuthenticate(envelope)
        var keySlot: KeyShareSlot?
        defer { keySlot?.release() }
        if verified {
            keySlot = try keyShares.hold(request, keyID: envelope.signed.keyID)
            try nonces.admitOrThrow(envelope.signed)
        }
        let point = try await readPath.readPoint(minRevision: minRevision, preference: preference)
        let now = WallClock.nowUnixMs()
        let result = try environment.read { txn in
            let signed = try authenticator.authenticate(envelope, verified: verified, in: txn)
            guard signed.grant.status == .active, signed.grant.isWithinWindow(atUnixMs: now) else {
                throw Self.forbidden(
                    "The signing key's grant is \(signed.grant.status == .active ? "outside its window" : signed.grant.status.rawValue)"
                )
            }
            return try read(.keyHolder(signed.grant), txn)
        }
        if !verified {
            keySlot = try keyShares.hold(request, keyID: envelope.signed.keyID)
            try nonces.admitOrThrow(envelope.signed)
        }
        return (result, point)
    }

    static func forbidden(_ title: String) -> Problem {
        Problem("read-not-allowed", status: .forbidden, title: title)
    }
}

extension NonceCache {
    /// Spends the request's nonce, or throws the problem a client sees: 409 for a replay, 503 when full.
    func admitOrThrow(_ signed: SignedRequest) throws {
        switch admit(
            vin: signed.vin, keyID: signed.keyID, nonce: signed.nonce, timestampUnixMs: signed.timestampUnixMs,
            nowUnixMs: WallClock.nowUnixMs())
        {
        case .fresh: return
        case .replayed: throw Problem("replayed-nonce", status: .conflict, title: "This request was already used")
        case .full:
            throw Problem(
                "overloaded", status: .serviceUnavailable, title: "Too many requests in flight", retryAfterSeconds: 1)
        }
    }
}
