import Foundation

/// Every failure a `keycluster` command reports: what went wrong (`message`), why (`cause`: the file, port,
/// member or the cluster's answer), and what to do (`hint`) — never a Swift type name or an errno dump.
/// Printed as three lines on standard error, or as one JSON document on standard output under `--json`.
struct CLIError: Error, Sendable, Encodable {
    var message: String
    var cause: String?
    var hint: String?
    var exitStatus: ExitStatus
    /// When the cluster answered with a problem document: its HTTP status and problem type.
    var status: Int?
    var problemType: String?

    init(
        _ message: String, cause: String? = nil, hint: String? = nil, exitStatus: ExitStatus = .localProblem,
        status: Int? = nil,
        problemType: String? = nil
    ) {
        self.message = message
        self.cause = cause
        self.hint = hint
        self.exitStatus = exitStatus
        self.status = status
        self.problemType = problemType
    }

    /// The text form: `error: MESSAGE`, then `cause:` and `hint:` lines when known.
    var text: String {
        var lines = ["error: \(message)"]
        if let cause { lines.append("cause: \(cause)") }
        if let hint { lines.append("hint: \(hint)") }
        return lines.joined(separator: "\n")
    }

    /// The `--json` form: `{"error": {...}}`, keys sorted, so scripts read errors the way they read answers.
    var json: String {
        struct Document: Encodable {
            var error: CLIError
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(Document(error: self)) else {
            return #"{"error":{"message":"unprintable error"}}"#
        }
        return String(decoding: data, as: UTF8.self)
    }

    enum CodingKeys: String, CodingKey {
        case message, cause, hint, exitStatus, status, problemType, exitCode
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(cause, forKey: .cause)
        try container.encodeIfPresent(hint, forKey: .hint)
        try container.encode(exitStatus.name, forKey: .exitStatus)
        try container.encode(exitStatus.rawValue, forKey: .exitCode)
        try container.encodeIfPresent(status, forKey: .status)
        try container.encodeIfPresent(problemType, forKey: .problemType)
    }

    /// Reports this error where the caller's output mode says and exits with its status.
    func exit(json: Bool) -> Never {
        if json {
            print(self.json)
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
        Foundation.exit(exitStatus.rawValue)
    }
}
