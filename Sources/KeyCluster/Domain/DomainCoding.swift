import Foundation

/// JSON with sorted keys for stored records and signed payloads: the same value always gives the same
/// bytes, which replicated state (every member stores identical records) and signatures depend on.
///
/// The records every grant writes and reads have a hand-written form with the same bytes (`CanonicalJSON`);
/// everything else goes through one shared encoder and decoder, built once — not per call (they are
/// thread-safe and their options never change after this).
enum DomainCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Reads replicated commands as every version has: a key they carry must be a P-256 point (it enters
    /// the replicated state here, and a member of an earlier version refuses a command whose key is not).
    static let commandDecoder = JSONDecoder()

    /// Reads this member's stored records (and its own results): their keys as stored, checked when they
    /// entered (`KeyPublicKey.storedForm`).
    static let storedDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.userInfo[KeyPublicKey.storedForm] = true
        return decoder
    }()

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try encoder.encode(value))
    }

    static func encode(_ value: some CanonicalJSONWritable) -> [UInt8] {
        value.canonicalJSON
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: some DataProtocol) throws -> T {
        try storedDecoder.decode(type, from: Data(bytes))
    }

    /// The canonical form is read directly; any other form (a record of an earlier version, a command
    /// from an older member) by `JSONDecoder`, which also gives the error for bytes that are not a `T`.
    static func decode<T: CanonicalJSONReadable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        if let value = T(canonicalJSON: bytes) { return value }
        return try storedDecoder.decode(type, from: Data(bytes))
    }
}
