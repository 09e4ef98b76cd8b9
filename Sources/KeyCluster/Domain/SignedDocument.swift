import Foundation

/// A node-signed document (an unlock token or a vehicle key list) with the node's certificate, so a
/// vehicle holding only the cluster CA certificate can verify it offline.
///
/// The signature is ECDSA P-256 / SHA-256 (base64 DER) over `"KEYCLUSTER-<kind>-V1\n"` followed by the
/// payload bytes. The payload travels as base64 of its exact JSON bytes, so the verifier checks exactly the
/// bytes that were signed (no JSON canonicalization), and the kind in the signed bytes keeps a key list's
/// signature from passing as a token's.
public struct SignedDocument: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case unlockToken = "UNLOCK-TOKEN"
        case vehicleKeyList = "VEHICLE-KEY-LIST"
    }

    public let kind: Kind
    /// Base64 of the JSON claims.
    public let payload: String
    /// Base64 of the DER ECDSA signature.
    public let signature: String
    /// Base64 of the signing node's DER certificate.
    public let certificate: String

    public init(kind: Kind, payload: String, signature: String, certificate: String) {
        self.kind = kind
        self.payload = payload
        self.signature = signature
        self.certificate = certificate
    }

    static func signedBytes(kind: Kind, payload: [UInt8]) -> [UInt8] {
        Array("KEYCLUSTER-\(kind.rawValue)-V1\n".utf8) + payload
    }
}
