import Foundation

/// Hand-written JSON for what every member encodes and decodes on each grant: the replicated command, the
/// vehicle, grant and audit records, and the command's result.
///
/// Swift's `Codable` JSON cost ~88 % of a grant's state-machine instructions (callgrind of `keycluster bench
/// apply`: generic metadata lookups, dynamic casts, retains, an intermediate value tree). The writer here
/// appends bytes directly, and writes **byte for byte what `DomainCoding`'s encoder writes** (sorted keys,
/// slashes unescaped, Foundation's escapes) — so a record stored by this version equals the record stored by
/// the last, and members of mixed versions keep identical replicated state. Tests pin the equality.
///
/// The reader accepts exactly that canonical form (keys in that order, no whitespace, strings without
/// escapes, integers without signs or leading zeros they would not have) and throws on anything else
/// (`Mismatch`, or the domain's own refusal of a value); callers then decode with `JSONDecoder`, which reads
/// every form (an older member's unsorted command, a reason with escapes) and gives the error if there is
/// one. So the fast path never decides what a value is, only how quickly it is read.
enum CanonicalJSON {
    /// The bytes are not in the canonical form (not necessarily invalid JSON): decode them the slow way.
    struct Mismatch: Error {}

    struct Writer {
        private(set) var bytes: [UInt8] = []

        /// Space for a typical grant record, so most writes never grow the buffer.
        static let typicalRecordBytes = 512

        init(capacity: Int = typicalRecordBytes) {
            bytes.reserveCapacity(capacity)
        }

        /// An object whose fields `body` writes, in sorted key order (the caller's duty; tests check it).
        mutating func object(_ body: (inout Writer) -> Void) {
            separate()
            bytes.append(UInt8(ascii: "{"))
            body(&self)
            bytes.append(UInt8(ascii: "}"))
        }

        /// `{"name":{…}}`: the shape Swift's synthesized coding gives an enum case or a `_0` payload.
        mutating func wrapped(_ name: StaticString, _ body: (inout Writer) -> Void) {
            object {
                $0.key(name)
                $0.object(body)
            }
        }

        mutating func array(_ body: (inout Writer) -> Void) {
            separate()
            bytes.append(UInt8(ascii: "["))
            body(&self)
            bytes.append(UInt8(ascii: "]"))
        }

        mutating func key(_ name: StaticString) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }

        mutating func string(_ value: String) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            // Most strings (VINs, key ids, base64 keys, names) need no escape: copied whole.
            if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
                bytes.append(contentsOf: value.utf8)
                bytes.append(UInt8(ascii: "\""))
                return
            }
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x00..<0x20:
                    bytes.append(contentsOf: Array("\\u00".utf8))
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0x0F)])
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }

        mutating func int(_ value: Int64) {
            separate()
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            digits(value.magnitude)
        }

        mutating func uint(_ value: UInt64) {
            separate()
            digits(value)
        }

        /// A value already written canonically (a stored record spliced into a result): the grant is
        /// encoded once per command.
        mutating func raw(_ encoded: [UInt8]) {
            separate()
            bytes.append(contentsOf: encoded)
        }

        mutating func field(_ name: StaticString, _ value: String) {
            key(name)
            string(value)
        }
        mutating func field(_ name: StaticString, _ value: Int64) {
            key(name)
            int(value)
        }
        mutating func field(_ name: StaticString, _ value: UInt64) {
            key(name)
            uint(value)
        }
        mutating func field(_ name: StaticString, _ value: some CanonicalJSONWritable) {
            key(name)
            value.write(to: &self)
        }

        /// Nothing for nil: Swift's synthesized coding leaves absent optionals out.
        mutating func field(_ name: StaticString, _ value: Int64?) {
            if let value { field(name, value) }
        }

        mutating func field(_ name: StaticString, _ value: String?) {
            if let value { field(name, value) }
        }

        /// A comma before every value or key but the first of its object or array; none after a key.
        private mutating func separate() {
            guard let last = bytes.last else { return }
            if last != UInt8(ascii: "{"), last != UInt8(ascii: "["), last != UInt8(ascii: ":") {
                bytes.append(UInt8(ascii: ","))
            }
        }

        private mutating func digits(_ value: UInt64) {
            var remaining = value
            var reversed: [UInt8] = []
            repeat {
                reversed.append(UInt8(ascii: "0") + UInt8(remaining % 10))
                remaining /= 10
            } while remaining > 0
            bytes.append(contentsOf: reversed.reversed())
        }

        private static let hexDigits = Array("0123456789abcdef".utf8)
    }

    struct Reader {
        private let bytes: [UInt8]
        private var position = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        /// Reads one value with `body` and checks that nothing follows it.
        static func read<Value>(_ bytes: [UInt8], _ body: (inout Reader) throws -> Value) throws -> Value {
            var reader = Reader(bytes)
            let value = try body(&reader)
            guard reader.position == bytes.count else { throw Mismatch() }
            return value
        }

        /// An object whose fields `body` reads in order.
        mutating func object<Value>(_ body: (inout Reader) throws -> Value) throws -> Value {
            try expect(UInt8(ascii: "{"))
            let value = try body(&self)
            try expect(UInt8(ascii: "}"))
            return value
        }

        /// `{"name":{…}}` (see `Writer.wrapped`).
        mutating func wrapped<Value>(_ name: StaticString, _ body: (inout Reader) throws -> Value) throws -> Value {
            try object { reader in
                try reader.key(name)
                return try reader.object(body)
            }
        }

        /// The name of the one key of `{"name":…`: an enum case. Leaves the reader after the colon.
        mutating func caseName() throws -> String {
            try expect(UInt8(ascii: "{"))
            let name = try string()
            try expect(UInt8(ascii: ":"))
            return name
        }

        /// The closing brace of an object opened by `caseName`.
        mutating func endCase() throws { try expect(UInt8(ascii: "}")) }

        /// `"name":`, after a comma unless it is the object's first key.
        mutating func key(_ name: StaticString) throws {
            guard hasKey(name) else { throw Mismatch() }
            skipKey(name)
        }

        /// Whether `"name":` (after a comma unless first) comes next; reads it if so. For optional fields.
        mutating func optionalKey(_ name: StaticString) -> Bool {
            guard hasKey(name) else { return false }
            skipKey(name)
            return true
        }

        /// An optional integer field: nil when its key does not come next.
        mutating func optionalInt(_ name: StaticString) throws -> Int64? {
            guard optionalKey(name) else { return nil }
            return try int()
        }

        mutating func string() throws -> String {
            String(decoding: bytes[try plainString()], as: UTF8.self)
        }

        mutating func int() throws -> Int64 {
            let negative = peek() == UInt8(ascii: "-")
            if negative { position += 1 }
            let magnitude = try digits()
            if negative {
                guard magnitude != 0, magnitude <= UInt64(Int64.max) + 1 else { throw Mismatch() }
                return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { throw Mismatch() }
            return Int64(magnitude)
        }

        mutating func uint() throws -> UInt64 { try digits() }

        /// An array of strings (possibly empty).
        mutating func strings() throws -> [String] {
            try expect(UInt8(ascii: "["))
            var values: [String] = []
            if peek() == UInt8(ascii: "]") {
                position += 1
                return values
            }
            while true {
                values.append(try string())
                if peek() == UInt8(ascii: ",") {
                    position += 1
                } else {
                    try expect(UInt8(ascii: "]"))
                    return values
                }
            }
        }

        /// A validated string (VIN, key id, nonce, operator name). One the domain refuses throws, and the
        /// caller's slow path then fails with `JSONDecoder`'s own error: both paths fail alike.
        mutating func domainString<Value: DomainString>(_: Value.Type) throws -> Value {
            try Value(validating: try string())
        }

        /// A case of a string enum (role, status, form factor); an unknown name is a mismatch.
        mutating func rawValue<Value: RawRepresentable<String>>(_: Value.Type) throws -> Value {
            guard let value = Value(rawValue: try string()) else { throw Mismatch() }
            return value
        }

        private func hasKey(_ name: StaticString) -> Bool {
            var at = position
            if at > 0, bytes[at - 1] != UInt8(ascii: "{") {
                guard at < bytes.count, bytes[at] == UInt8(ascii: ",") else { return false }
                at += 1
            }
            let length = name.utf8CodeUnitCount
            guard at + length + 3 <= bytes.count, bytes[at] == UInt8(ascii: "\""),
                bytes[at + length + 1] == UInt8(ascii: "\""), bytes[at + length + 2] == UInt8(ascii: ":")
            else { return false }
            return name.withUTF8Buffer { name in
                for offset in 0..<length where bytes[at + 1 + offset] != name[offset] { return false }
                return true
            }
        }

        private mutating func skipKey(_ name: StaticString) {
            if position > 0, bytes[position - 1] != UInt8(ascii: "{") { position += 1 }
            position += name.utf8CodeUnitCount + 3
        }

        /// Where the bytes of a string with no escape and no control character (what canonical strings are) lie.
        private mutating func plainString() throws -> Range<Int> {
            try expect(UInt8(ascii: "\""))
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    position += 1
                    return start..<(position - 1)
                }
                guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { throw Mismatch() }
                position += 1
            }
            throw Mismatch()
        }

        /// Decimal digits as the writer writes them: no leading zero but for 0 itself, no overflow.
        private mutating func digits() throws -> UInt64 {
            let start = position
            var value: UInt64 = 0
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
                let (sum, carried) = shifted.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
                guard !overflowed, !carried else { throw Mismatch() }
                value = sum
                position += 1
            }
            let count = position - start
            guard count > 0, count == 1 || bytes[start] != UInt8(ascii: "0") else { throw Mismatch() }
            // A fraction or exponent is not canonical (JSONDecoder may still read it as an integer).
            if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                throw Mismatch()
            }
            return value
        }

        private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

        private mutating func expect(_ byte: UInt8) throws {
            guard position < bytes.count, bytes[position] == byte else { throw Mismatch() }
            position += 1
        }
    }
}

/// A value with a hand-written canonical JSON form (`CanonicalJSON`), identical to its sorted `Codable` form.
protocol CanonicalJSONWritable: Encodable {
    func write(to writer: inout CanonicalJSON.Writer)
}

/// A value `CanonicalJSON.Reader` can read from its canonical form; anything else falls back to `Codable`.
protocol CanonicalJSONReadable: Decodable {
    init(canonical reader: inout CanonicalJSON.Reader) throws
}

extension CanonicalJSONReadable {
    /// The value in `bytes` if they are its canonical form, else nil (decode them with `JSONDecoder`).
    init?(canonicalJSON bytes: [UInt8]) {
        guard let value = try? CanonicalJSON.Reader.read(bytes, { try Self(canonical: &$0) }) else { return nil }
        self = value
    }
}

extension CanonicalJSONWritable {
    var canonicalJSON: [UInt8] {
        var writer = CanonicalJSON.Writer()
        write(to: &writer)
        return writer.bytes
    }
}
