/// Rewrites compact JSON the way an older member's unsorted `JSONEncoder` could have written it: every
/// object's keys in reverse order and every `/` in a string escaped as `\/`. Scalars keep their exact text.
///
/// Why not `JSONEncoder()` itself: its key order follows a per-process hash seed, so in some runs it
/// happens to write the sorted form — and a check that the older form differs fails at random (it did in
/// CI). Reversing the sorted order differs from it for every object of two keys or more, in every run.
enum OlderJSONForm {
    struct Malformed: Error, CustomStringConvertible {
        let offset: Int
        var description: String { "not compact JSON at byte \(offset)" }
    }

    static func rewrite(_ canonical: [UInt8]) throws -> [UInt8] {
        var reader = Reader(bytes: canonical)
        var output: [UInt8] = []
        try reader.value(into: &output)
        guard reader.offset == canonical.count else { throw Malformed(offset: reader.offset) }
        return output
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func value(into output: inout [UInt8]) throws {
            guard offset < bytes.count else { throw Malformed(offset: offset) }
            switch bytes[offset] {
            case UInt8(ascii: "{"): try object(into: &output)
            case UInt8(ascii: "["): try array(into: &output)
            case UInt8(ascii: "\""): output += try string()
            default: output += scalar()
            }
        }

        mutating func expect(_ byte: UInt8) throws {
            guard offset < bytes.count, bytes[offset] == byte else { throw Malformed(offset: offset) }
            offset += 1
        }

        mutating func object(into output: inout [UInt8]) throws {
            try expect(UInt8(ascii: "{"))
            var members: [[UInt8]] = []
            while offset < bytes.count, bytes[offset] != UInt8(ascii: "}") {
                if !members.isEmpty { try expect(UInt8(ascii: ",")) }
                var member = try string()
                try expect(UInt8(ascii: ":"))
                member.append(UInt8(ascii: ":"))
                try value(into: &member)
                members.append(member)
            }
            try expect(UInt8(ascii: "}"))
            output.append(UInt8(ascii: "{"))
            output += Array(members.reversed().joined(separator: [UInt8(ascii: ",")]))
            output.append(UInt8(ascii: "}"))
        }

        mutating func array(into output: inout [UInt8]) throws {
            try expect(UInt8(ascii: "["))
            output.append(UInt8(ascii: "["))
            var first = true
            while offset < bytes.count, bytes[offset] != UInt8(ascii: "]") {
                if !first {
                    try expect(UInt8(ascii: ","))
                    output.append(UInt8(ascii: ","))
                }
                first = false
                try value(into: &output)
            }
            try expect(UInt8(ascii: "]"))
            output.append(UInt8(ascii: "]"))
        }

        /// A string with its escapes kept as written, and `/` escaped.
        mutating func string() throws -> [UInt8] {
            try expect(UInt8(ascii: "\""))
            var text: [UInt8] = [UInt8(ascii: "\"")]
            while offset < bytes.count, bytes[offset] != UInt8(ascii: "\"") {
                if bytes[offset] == UInt8(ascii: "\\") {
                    guard offset + 1 < bytes.count else { throw Malformed(offset: offset) }
                    text += bytes[offset...(offset + 1)]
                    offset += 2
                } else if bytes[offset] == UInt8(ascii: "/") {
                    text += [UInt8(ascii: "\\"), UInt8(ascii: "/")]
                    offset += 1
                } else {
                    text.append(bytes[offset])
                    offset += 1
                }
            }
            try expect(UInt8(ascii: "\""))
            text.append(UInt8(ascii: "\""))
            return text
        }

        /// A number, `true`, `false` or `null`, as written.
        mutating func scalar() -> [UInt8] {
            let start = offset
            while offset < bytes.count,
                ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(bytes[offset])
            {
                offset += 1
            }
            return Array(bytes[start..<offset])
        }
    }
}
