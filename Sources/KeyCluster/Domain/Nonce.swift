/// A client-chosen single-use token (base64url, `minNonceLength…maxNonceLength` characters) that makes each
/// signed request unique, so a captured request cannot be replayed within its timestamp window.
public struct Nonce: DomainString {
    public let text: String

    public init(validating text: String) throws(DomainInputError) {
        let bytes = Array(text.utf8)
        let bounds = DomainLimits.minNonceLength...DomainLimits.maxNonceLength
        guard bounds.contains(bytes.count) else {
            throw DomainInputError(
                field: "nonce",
                problem: "must be \(bounds.lowerBound)–\(bounds.upperBound) characters, got \(bytes.count) bytes")
        }
        guard bytes.allSatisfy(ASCII.isBase64URL) else {
            throw DomainInputError(
                field: "nonce", problem: "only base64url characters (A–Z, a–z, 0–9, -, _) are allowed")
        }
        self.text = text
    }
}
