import Crypto
import Foundation

/// Names a key: lowercase hex SHA-256 of its uncompressed X9.63 P-256 public key (65 bytes, `04‖x‖y`).
///
/// Derived from the key itself, so a client cannot claim a key id that is not its key's.
public struct KeyID: DomainString {
    public static let hexLength = 64
    public let text: String

    public init(validating text: String) throws(DomainInputError) {
        let bytes = Array(text.utf8)
        guard bytes.count == Self.hexLength, bytes.allSatisfy(ASCII.isLowerHex) else {
            throw DomainInputError(field: "key id", problem: "must be \(Self.hexLength) lowercase hex digits (SHA-256)")
        }
        self.text = text
    }

    public init(publicKey: KeyPublicKey) {
        text = ASCII.hex(SHA256.hash(data: publicKey.x963))
    }
}

/// A key's P-256 public key in uncompressed X9.63 form, encoded as base64 in JSON.
///
/// Only the uncompressed form is accepted so that one key has one byte string — and so one `KeyID`.
public struct KeyPublicKey: Codable, Hashable, Sendable {
    public static let x963Length = 65
    public let x963: [UInt8]

    public init(x963: [UInt8]) throws(DomainInputError) {
        guard x963.count == Self.x963Length, x963.first == 0x04 else {
            throw DomainInputError(field: "public key", problem: "must be an uncompressed X9.63 P-256 point (\(Self.x963Length) bytes)")
        }
        guard (try? P256.Signing.PublicKey(x963Representation: x963)) != nil else {
            throw DomainInputError(field: "public key", problem: "not a point on P-256")
        }
        self.x963 = x963
    }

    public init(_ key: P256.Signing.PublicKey) {
        x963 = Array(key.x963Representation)
    }

    public var keyID: KeyID { KeyID(publicKey: self) }

    /// The key for verifying signatures; cannot fail, since the bytes were checked to be a P-256 point.
    public var signingKey: P256.Signing.PublicKey {
        guard let key = try? P256.Signing.PublicKey(x963Representation: x963) else {
            preconditionFailure("validated P-256 public key no longer parses")
        }
        return key
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        // Bound before decoding: base64 of a 65-byte point is 88 characters.
        guard text.utf8.count <= (Self.x963Length + 2) / 3 * 4, let bytes = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "public key is not base64 of an X9.63 point")
        }
        do {
            try self.init(x963: Array(bytes))
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(x963).base64EncodedString())
    }
}

extension KeyPublicKey: CustomStringConvertible {
    /// Named by its key id: the 65 raw bytes say nothing to a reader of logs or test failures.
    public var description: String { "P-256 key \(keyID)" }
}
