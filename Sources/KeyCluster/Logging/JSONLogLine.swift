import Logging

/// One log record as one line of JSON: `ts`, `level`, `msg`, `node` first (the fields every shipper
/// indexes), then `logger` and the remaining metadata sorted by key. Nested metadata stays nested; a
/// metadata key that would shadow one of the fixed fields gets a `_` suffix instead of replacing it.
enum JSONLogLine {
    static let fixedKeys: Set<String> = ["ts", "level", "msg", "node", "logger"]

    static func format(
        timestamp: String, level: Logger.Level, message: String, label: String, metadata: Logger.Metadata
    ) -> String {
        var fields: [(String, String)] = [
            ("ts", quoted(timestamp)), ("level", quoted("\(level)")), ("msg", quoted(message)),
        ]
        if let node = metadata["node"] { fields.append(("node", value(node))) }
        fields.append(("logger", quoted(label)))
        for (key, item) in metadata.sorted(by: { $0.key < $1.key }) where key != "node" {
            fields.append((fixedKeys.contains(key) ? key + "_" : key, value(item)))
        }
        return "{" + fields.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    private static func value(_ item: Logger.MetadataValue) -> String {
        switch item {
        case .string(let text): quoted(text)
        case .stringConvertible(let convertible): quoted(convertible.description)
        case .array(let items): "[" + items.map(value).joined(separator: ",") + "]"
        case .dictionary(let items):
            "{"
                + items.sorted(by: { $0.key < $1.key }).map { "\(quoted($0.key)):\(value($0.value))" }.joined(
                    separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
