import Foundation

/// The JSON encoders of everything a user reads: HTTP answers and the CLI's `--json`. They write the API
/// forms of values whose stored form differs (`Principal`), so no Swift encoding detail (`_0`) reaches
/// anyone; stored records and the log keep their own encoders (`DomainCoding`, the state machine's).
public enum APIEncoding {
    /// A new encoder for one answer (encoders carry options, so each use gets its own).
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.userInfo[Principal.apiForm] = true
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
        return encoder
    }
}
