import Foundation
import HTTPTypes
import Hummingbird
import Storage

/// Checks a request signed by a key holder (design §5): the `KeyCluster-*` headers, the signer's grant in
/// this member's state, the P-256 signature over the canonical request, and the ±30 s timestamp window.
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

    struct Authenticated {
        let signer: DomainCommand.KeySignature
        let grant: Grant
    }

    func authenticate(_ request: Request, body: ByteBuffer, vin: VIN, command: String) throws -> Authenticated {
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
            throw Problem("unsigned-request", status: .unauthorized, title: "KeyCluster-Timestamp must be Unix milliseconds")
        }
        let signed: SignedRequest
        do {
            signed = try SignedRequest(
                method: request.method.rawValue, path: request.uri.description, vin: vin,
                keyID: KeyID(validating: try header(Self.keyIDHeader)), command: command, timestampUnixMs: timestamp,
                nonce: Nonce(validating: try header(Self.nonceHeader)), body: Data(body.readableBytesView))
        } catch let error as DomainInputError {
            // A malformed signature envelope is a failed authentication, whatever field is wrong.
            throw Problem("unsigned-request", status: .unauthorized, title: "The request's signature headers are malformed", detail: error.description)
        }
        guard let grant = try environment.read({ txn in try store.grant(vin, signed.keyID, in: txn) }) else {
            throw Problem("unknown-key", status: .forbidden, title: "The signing key holds no grant on this vehicle here")
        }
        do {
            try signed.verify(signatureBase64: signature, publicKey: grant.publicKey, nowUnixMs: WallClock.nowUnixMs())
        } catch {
            throw Problem("bad-signature", status: .unauthorized, title: "The request signature does not verify", detail: error.description)
        }
        return Authenticated(
            signer: .init(keyID: signed.keyID, nonce: signed.nonce, timestampUnixMs: signed.timestampUnixMs), grant: grant)
    }
}
