/// A vehicle identification number (ISO 3779): 17 characters of digits and capital letters except I, O
/// and Q, which are left out so they cannot be read as 1 and 0.
///
/// Only the canonical (uppercase) spelling is accepted, so one vehicle has one spelling in keys and
/// signatures. The check digit is not verified: it is mandatory only in North America.
public struct VIN: DomainString {
    public static let length = 17
    public let text: String

    public init(validating text: String) throws(DomainInputError) {
        let bytes = Array(text.utf8)
        guard bytes.count == Self.length else {
            throw DomainInputError(field: "VIN", problem: "must be \(Self.length) characters, got \(bytes.count) bytes")
        }
        guard bytes.allSatisfy(Self.isAllowed) else {
            throw DomainInputError(
                field: "VIN", problem: "only digits and capital letters except I, O and Q are allowed")
        }
        self.text = text
    }

    static func isAllowed(_ byte: UInt8) -> Bool {
        ASCII.isDigit(byte)
            || (ASCII.isUpper(byte) && byte != UInt8(ascii: "I") && byte != UInt8(ascii: "O")
                && byte != UInt8(ascii: "Q"))
    }
}
