import Foundation

/// The JSON encoders of everything a user reads: HTTP answers and the CLI's `--json`. They write the API
/// forms of values whose stored form differs (`Principal`), so no Swift encoding detail (`_0`) reaches
/// anyone; stored records and the log keep their own encoders (`DomainCoding`, the state machine's).
public enum APIEncoding {
    /// The encoder of HTTP answers, built once: the server answers with it and never changes its options.
    static let answers = encoder()

    /// A new encoder, for a caller that may change its options (the CLI's `--json`, tests).
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.userInfo[Principal.apiForm] = true
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
        return encoder
    }
}
