import Crypto
import Foundation

/// A key holder's P-256 key (what a phone's secure element holds), for signing requests to the cluster.
/// Used by the CLI and tests; a phone app does the same with its own key store.
public struct KeyHolder: Sendable {
    /// The private key's raw representation: kept as bytes so the holder is plainly `Sendable`.
    private let privateKeyBytes: Data
    public let publicKey: KeyPublicKey

    public init() {
        self.init(P256.Signing.PrivateKey())
    }

    public init(_ privateKey: P256.Signing.PrivateKey) {
        privateKeyBytes = privateKey.rawRepresentation
        publicKey = KeyPublicKey(privateKey.publicKey)
    }

    public var keyID: KeyID { publicKey.keyID }

    /// The `KeyCluster-*` headers that sign `method path` with `body` for `command` on `vin`, now.
    public func signatureHeaders(
        method: String, path: String, vin: VIN, command: String, body: [UInt8], nowUnixMs: Int64,
        nonce: Nonce = Nonce.random()
    ) throws -> [(String, String)] {
        let request = try SignedRequest(
            method: method, path: path, vin: vin, keyID: keyID, command: command, timestampUnixMs: nowUnixMs,
            nonce: nonce,
            body: body)
        let key = try P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes)
        return [
            ("KeyCluster-Key-ID", keyID.text), ("KeyCluster-Timestamp", "\(nowUnixMs)"),
            ("KeyCluster-Nonce", nonce.text),
            ("KeyCluster-Signature", try request.signature(with: key)),
        ]
    }
}

extension Nonce {
    /// A fresh nonce: 24 random base64url characters (144 bits).
    public static func random() -> Nonce {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let text = String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
        do {
            return try Nonce(validating: text)
        } catch {
            preconditionFailure("a generated nonce is always valid: \(error)")
        }
    }
}
