import Crypto
import Foundation

/// A request signed by a key holder with the key's P-256 private key (ECDSA over SHA-256).
///
/// The signature covers this canonical byte string — UTF-8, nine lines joined by a single LF (0x0A), no
/// trailing LF:
///
///     KEYCLUSTER-REQUEST-V1
///     <method>            the HTTP method in capitals, e.g. POST
///     <path>              the request target exactly as sent, query included, e.g. /v1/vehicles/…/unlock
///     <vin>               17 characters
///     <keyID>             64 lowercase hex digits: the signing key's id
///     <command>           what the request does, e.g. unlock, grant, revoke
///     <timestampUnixMs>   decimal milliseconds since 1970, no sign, no leading zeros
///     <nonce>             16–64 base64url characters, fresh per request
///     <bodySHA256>        64 lowercase hex digits: SHA-256 of the exact body bytes (of no bytes if none)
///
/// No field may contain a space, control character or LF (each is validated), so the lines cannot be
/// shifted into one another: one string has exactly one reading. The first line versions the format and
/// keeps a request signature from being valid as any other kind of signed message.
///
/// The signature travels as base64 of its DER encoding.
public struct SignedRequest: Hashable, Sendable {
    public static let formatTag = "KEYCLUSTER-REQUEST-V1"

    public let method: String
    public let path: String
    public let vin: VIN
    public let keyID: KeyID
    public let command: String
    public let timestampUnixMs: Int64
    public let nonce: Nonce
    public let bodySHA256: String

    public init(
        method: String, path: String, vin: VIN, keyID: KeyID, command: String, timestampUnixMs: Int64, nonce: Nonce,
        body: some DataProtocol
    ) throws(DomainInputError) {
        let methodBytes = Array(method.utf8)
        guard (1...DomainLimits.maxMethodLength).contains(methodBytes.count), methodBytes.allSatisfy(ASCII.isUpper)
        else {
            throw DomainInputError(
                field: "method", problem: "must be 1–\(DomainLimits.maxMethodLength) capital letters")
        }
        let pathBytes = Array(path.utf8)
        guard (1...DomainLimits.maxPathLength).contains(pathBytes.count), pathBytes.first == UInt8(ascii: "/"),
            pathBytes.allSatisfy(ASCII.isVisible)
        else {
            throw DomainInputError(
                field: "path",
                problem: "must start with / and be 1–\(DomainLimits.maxPathLength) visible ASCII characters")
        }
        let commandBytes = Array(command.utf8)
        guard (1...DomainLimits.maxCommandNameLength).contains(commandBytes.count),
            commandBytes.allSatisfy(ASCII.isBase64URL)
        else {
            throw DomainInputError(
                field: "command", problem: "must be 1–\(DomainLimits.maxCommandNameLength) letters, digits, '-' or '_'")
        }
        guard DomainLimits.isValidTimestamp(timestampUnixMs) else {
            throw DomainInputError(field: "timestamp", problem: "must be Unix milliseconds between 1970 and 9999")
        }
        self.method = method
        self.path = path
        self.vin = vin
        self.keyID = keyID
        self.command = command
        self.timestampUnixMs = timestampUnixMs
        self.nonce = nonce
        self.bodySHA256 = ASCII.hex(SHA256.hash(data: Array(body)))
    }

    /// The bytes the signature covers (see the type's documentation).
    public var canonicalBytes: [UInt8] {
        let lines = [
            Self.formatTag, method, path, vin.text, keyID.text, command, String(timestampUnixMs), nonce.text,
            bodySHA256,
        ]
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// The base64 DER signature of the canonical bytes by `privateKey`.
    public func signature(with privateKey: P256.Signing.PrivateKey) throws -> String {
        try privateKey.signature(for: canonicalBytes).derRepresentation.base64EncodedString()
    }

    /// Checks the signature by `publicKey` — which must be the key `keyID` names — and that the timestamp is
    /// within `maxClockSkewSeconds` of `nowUnixMs`, the verifying node's clock.
    public func verify(signatureBase64: String, publicKey: KeyPublicKey, nowUnixMs: Int64) throws(SignedRequestError) {
        guard publicKey.keyID == keyID else { throw .keyMismatch }
        guard signatureBase64.utf8.count <= DomainLimits.maxSignatureBase64Length,
            let der = Data(base64Encoded: signatureBase64),
            let signature = try? P256.Signing.ECDSASignature(derRepresentation: der)
        else { throw .malformedSignature }
        guard let signingKey = try? publicKey.signingKey(), signingKey.isValidSignature(signature, for: canonicalBytes)
        else {
            throw .badSignature
        }
        try checkTimestamp(nowUnixMs: nowUnixMs)
    }

    /// Checks only that the timestamp is within `maxClockSkewSeconds` of `nowUnixMs` — what can be refused
    /// before the signer's key is known here.
    public func checkTimestamp(nowUnixMs: Int64) throws(SignedRequestError) {
        guard DomainLimits.isValidTimestamp(nowUnixMs) else { preconditionFailure("node clock outside 1970–9999") }
        let skewMs = timestampUnixMs - nowUnixMs
        guard abs(skewMs) <= DomainLimits.maxClockSkewMs else { throw .timestampOutOfWindow(skewMs: skewMs) }
    }
}

public enum SignedRequestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The public key offered is not the key the request names.
    case keyMismatch
    /// Not base64 of a DER ECDSA signature, or too long to be one.
    case malformedSignature
    case badSignature
    /// The request's timestamp is further than the allowed skew from the node's clock (positive: ahead).
    case timestampOutOfWindow(skewMs: Int64)

    public var description: String {
        switch self {
        case .keyMismatch: "the request's key id does not name the key it was checked with"
        case .malformedSignature: "signature is not base64 of a DER ECDSA signature"
        case .badSignature: "signature does not verify for the key"
        case .timestampOutOfWindow(let skewMs):
            "timestamp is \(skewMs) ms from the node's clock; at most ±\(DomainLimits.maxClockSkewSeconds) s is accepted"
        }
    }
}
