import Foundation
import HTTPTypes
import Hummingbird
import Storage

/// Checks a request signed by a key holder (design §5) in two steps, so that nothing waits for an
/// unauthenticated request and nothing is decided from state older than the read point:
/// 1. `envelope` + `preAuthenticate`, before any wait: the `KeyCluster-*` headers, the ±30 s window, and —
///    when this member already holds the signer's key — the P-256 signature. A key id is the SHA-256 of its
///    public key, so any copy of the key found here is the key: checking it early is as good as late.
/// 2. `authenticate(_:verified:in:)`, in the read transaction at the read point: the signer's grant on the
///    vehicle there (`unknown-key` is then as consistent as a token), and the signature if step 1 could not
///    check it (the key was granted after this member's local state).
/// Every failure is a problem document; nothing is proposed for a request that fails here.
struct KeyRequestAuthenticator: Sendable {
    let store: KeyAuthorizationStore
    let environment: Storage.Environment

    static let keyIDHeader = HTTPField.Name("KeyCluster-Key-ID")!
    static let timestampHeader = HTTPField.Name("KeyCluster-Timestamp")!
    static let nonceHeader = HTTPField.Name("KeyCluster-Nonce")!
    static let signatureHeader = HTTPField.Name("KeyCluster-Signature")!
    /// Longest signature header accepted (a DER P-256 signature is at most 72 bytes, 96 in base64).
    static let maxSignatureBytes = 128

    /// A well-formed signed request whose signature may not have been checked yet.
    struct Envelope: Sendable {
        let signed: SignedRequest
        let signature: String

        /// The signature fields of the command, stamped with this member's clock now (the decision time).
        func signer(decidedAtUnixMs: Int64) -> DomainCommand.KeySignature {
            .init(
                keyID: signed.keyID, nonce: signed.nonce, timestampUnixMs: signed.timestampUnixMs,
                decidedAtUnixMs: decidedAtUnixMs)
        }
    }

    struct Authenticated {
        let signer: DomainCommand.KeySignature
        let grant: Grant
    }

    /// The signature headers, well-formed, and the timestamp within the window; no state is read.
    func envelope(_ request: Request, body: ByteBuffer, vin: VIN, command: String) throws -> Envelope {
        func header(_ name: HTTPField.Name) throws -> String {
            guard let value = request.headers[name], !value.isEmpty else {
                throw Problem("unsigned-request", status: .unauthorized, title: "Missing header \(name.rawName)")
            }
            return value
        }
        let signature = try header(Self.signatureHeader)
        guard signature.utf8.count <= Self.maxSignatureBytes else {
            throw Problem("bad-signature", status: .unauthorized, title: "The signature header is too long")
        }
        guard let timestamp = Int64(try header(Self.timestampHeader)) else {
            throw Problem(
                "unsigned-request", status: .unauthorized, title: "KeyCluster-Timestamp must be Unix milliseconds")
        }
        let signed: SignedRequest
        do {
            signed = try SignedRequest(
                method: request.method.rawValue, path: request.uri.description, vin: vin,
                keyID: KeyID(validating: try header(Self.keyIDHeader)), command: command, timestampUnixMs: timestamp,
                nonce: Nonce(validating: try header(Self.nonceHeader)), body: Data(body.readableBytesView))
        } catch let error as DomainInputError {
            // A malformed signature envelope is a failed authentication, whatever field is wrong.
            throw Problem(
                "unsigned-request", status: .unauthorized, title: "The request's signature headers are malformed",
                detail: error.description)
        }
        do {
            try signed.checkTimestamp(nowUnixMs: WallClock.nowUnixMs())
        } catch {
            throw Self.problem(error)
        }
        return Envelope(signed: signed, signature: signature)
    }

    /// Step 1: verifies the signature when this member holds the signer's key for the vehicle; returns
    /// whether it did. A bad signature is refused here, before the caller waits for anything.
    func preAuthenticate(_ envelope: Envelope) throws -> Bool {
        guard
            let grant = try environment.read({ txn in
                try store.grant(envelope.signed.vin, envelope.signed.keyID, in: txn)
            })
        else {
            return false
        }
        try verify(envelope, with: grant.publicKey)
        return true
    }

    /// Step 2, in the read transaction at the read point: the signer's grant there, and the signature
    /// unless step 1 verified it.
    func authenticate(_ envelope: Envelope, verified: Bool, in txn: borrowing ReadTransaction) throws -> Authenticated {
        guard let grant = try store.grant(envelope.signed.vin, envelope.signed.keyID, in: txn) else {
            throw Problem("unknown-key", status: .forbidden, title: "The signing key holds no grant on this vehicle")
        }
        if !verified { try verify(envelope, with: grant.publicKey) }
        return Authenticated(signer: envelope.signer(decidedAtUnixMs: WallClock.nowUnixMs()), grant: grant)
    }

    private func verify(_ envelope: Envelope, with publicKey: KeyPublicKey) throws {
        do {
            try envelope.signed.verify(
                signatureBase64: envelope.signature, publicKey: publicKey, nowUnixMs: WallClock.nowUnixMs())
        } catch {
            throw Self.problem(error)
        }
    }

    private static func problem(_ error: SignedRequestError) -> Problem {
        Problem(
            "bad-signature", status: .unauthorized, title: "The request signature does not verify",
            detail: error.description)
    }
}
