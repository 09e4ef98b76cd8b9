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
        try self.init(storedX963: x963)
        _ = try signingKey()
    }

    /// A key read back from a stored record: only its form is checked, not that it is a point on the curve.
    /// It was checked where it entered — the member that received it, and every member applying the command
    /// that carried it — and checking again would cost a curve operation on every read of a grant (apply
    /// reads the signer's; every unlock reads one). Should a stored key not be a point (a damaged store), it
    /// verifies no signature: `signingKey()` refuses it, so it fails closed.
    init(storedX963 x963: [UInt8]) throws(DomainInputError) {
        guard x963.count == Self.x963Length, x963.first == 0x04 else {
            throw DomainInputError(
                field: "public key", problem: "must be an uncompressed X9.63 P-256 point (\(Self.x963Length) bytes)")
        }
        self.x963 = x963
    }

    /// The `userInfo` flag of the decoder of stored records (`DomainCoding.storedDecoder`): keys are then read
    /// with `init(storedX963:)`. Every other decoder (requests, commands, documents) checks the point.
    static let storedForm: CodingUserInfoKey = {
        guard let key = CodingUserInfoKey(rawValue: "keycluster.publicKey.storedForm") else {
            preconditionFailure("CodingUserInfoKey refused a constant name")
        }
        return key
    }()

    /// Standard base64 of the X9.63 bytes: the JSON form.
    var base64: String { Data(x963).base64EncodedString() }

    /// The bytes of the JSON form, bounded before decoding (base64 of a 65-byte point is 88 characters).
    static func x963(base64 text: String) -> [UInt8]? {
        guard text.utf8.count <= (x963Length + 2) / 3 * 4, let bytes = Data(base64Encoded: text) else { return nil }
        return Array(bytes)
    }

    public init(_ key: P256.Signing.PublicKey) {
        x963 = Array(key.x963Representation)
    }

    public var keyID: KeyID { KeyID(publicKey: self) }

    /// The key for verifying signatures. Fails only for a stored key that is not a point on the curve
    /// (see `init(storedX963:)`): such a key verifies nothing.
    public func signingKey() throws(DomainInputError) -> P256.Signing.PublicKey {
        guard let key = try? P256.Signing.PublicKey(x963Representation: x963) else {
            throw DomainInputError(field: "public key", problem: "not a point on P-256")
        }
        return key
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let bytes = Self.x963(base64: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "public key is not base64 of an X9.63 point")
        }
        do {
            if decoder.userInfo[Self.storedForm] as? Bool == true {
                try self.init(storedX963: bytes)
            } else {
                try self.init(x963: bytes)
            }
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }
}

extension KeyPublicKey: CustomStringConvertible {
    /// Named by its key id: the 65 raw bytes say nothing to a reader of logs or test failures.
    public var description: String { "P-256 key \(keyID)" }
}
