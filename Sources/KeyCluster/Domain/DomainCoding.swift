import Foundation

/// JSON with sorted keys for stored records and signed payloads: the same value always gives the same
/// bytes, which replicated state (every member stores identical records) and signatures depend on.
enum DomainCoding {
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: some DataProtocol) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
