/// A string with a validated format (VIN, key id, nonce, operator name): it can only be made by validating,
/// and it decodes by validating, so a value of the type is always well-formed — wherever it came from.
public protocol DomainString: Codable, Hashable, Sendable, CustomStringConvertible {
    var text: String { get }
    init(validating text: String) throws(DomainInputError)
}

extension DomainString {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(validating: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    public var description: String { text }
}
