import Foundation

/// A JSON decoding failure told in the document's own terms — the field path and what was expected —
/// never Swift's (`DecodingError.keyNotFound(CodingKeys(stringValue: …))` means nothing to an API client or
/// an operator editing a configuration file).
public enum DecodingProblem {
    /// One line naming the field and the problem, e.g. `missing field "members[1].region"`.
    public static func describe(_ error: any Error) -> String {
        if let input = error as? DomainInputError { return input.description }
        guard let decoding = error as? DecodingError else { return "not valid JSON" }
        switch decoding {
        case .keyNotFound(let key, let context):
            return "missing field \"\(path(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context):
            return "field \"\(path(context.codingPath))\" must be \(kind(of: type))"
        case .valueNotFound(let type, let context):
            return "field \"\(path(context.codingPath))\" must be \(kind(of: type)), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "field \"\(path(context.codingPath))\" has an invalid value"
        @unknown default:
            return "not valid JSON"
        }
    }

    /// `members[1].region`: object keys joined with dots, array positions in brackets.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "(document)" : text
    }

    /// JSON's name for what a Swift type decodes from.
    static func kind(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is UInt64.Type, is UInt32.Type, is Int32.Type, is UInt16.Type, is UInt8.Type:
            "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }
}
