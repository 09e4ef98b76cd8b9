/// Protocol Buffers wire format, written by hand for the few messages Raft members exchange.
///
/// Why the protobuf wire format: a reader skips fields it does not know, so a node of the next version can
/// add fields and still talk to this one during a rolling upgrade, and any protobuf tool can decode a
/// captured frame against `raft.proto`. Why by hand: the messages are few and small, and the generator's
/// build plugin costs minutes on every clean build. Every read is bounds-checked; malformed input throws
/// `WireError`, never crashes, and nothing is allocated beyond the input's own size.
package enum WireType: UInt8 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

/// Why bytes could not be decoded. Carries enough to log; the connection that sent them is closed.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(field: String)
    case malformedVarint
    case unsupportedWireType(UInt8)
    case missingField(String)
    case invalidValue(field: String, reason: String)
    case tooMany(field: String, limit: Int)

    public var description: String {
        switch self {
        case .truncated(let field): "input ends inside \(field)"
        case .malformedVarint: "a varint is longer than 10 bytes"
        case .unsupportedWireType(let type): "wire type \(type) is not supported"
        case .missingField(let field): "required field \(field) is missing"
        case .invalidValue(let field, let reason): "field \(field) is invalid: \(reason)"
        case .tooMany(let field, let limit): "more than \(limit) \(field)"
        }
    }
}

/// Appends fields in protobuf encoding.
package struct WireWriter {
    package private(set) var bytes: [UInt8] = []

    package init() {}

    package mutating func varint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    private mutating func tag(_ field: UInt32, _ type: WireType) {
        precondition(field > 0 && field < 1 << 29, "protobuf field numbers are 1..2^29-1")
        varint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    /// A varint field; zero is omitted, as proto3 does, and decodes back as zero.
    package mutating func uint(_ field: UInt32, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, .varint)
        varint(value)
    }

    package mutating func bool(_ field: UInt32, _ value: Bool) {
        uint(field, value ? 1 : 0)
    }

    package mutating func bytes(_ field: UInt32, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// An embedded message, encoded by `build`.
    package mutating func message(_ field: UInt32, _ build: (inout WireWriter) -> Void) {
        var nested = WireWriter()
        build(&nested)
        bytes(field, nested.bytes)
    }
}

/// Reads protobuf fields from bytes that came from the network or disk.
package struct WireReader {
    private let input: ArraySlice<UInt8>
    private var offset: Int

    package init(_ input: ArraySlice<UInt8>) {
        self.input = input
        offset = input.startIndex
    }

    package init(_ input: [UInt8]) {
        self.init(input[...])
    }

    package var isAtEnd: Bool { offset >= input.endIndex }

    /// Visits every field in order; `visit` decodes the ones it knows and returns false for the others,
    /// which are skipped (that is what lets newer peers add fields).
    package mutating func forEachField(_ visit: (_ field: UInt32, _ value: inout WireValue) throws -> Void) throws {
        while !isAtEnd {
            let key = try readVarint()
            guard let type = WireType(rawValue: UInt8(key & 7)) else {
                throw WireError.unsupportedWireType(UInt8(key & 7))
            }
            guard key >> 3 > 0, key >> 3 < 1 << 29 else {
                throw WireError.invalidValue(field: "tag", reason: "field number \(key >> 3)")
            }
            var value = try readValue(type)
            try visit(UInt32(key >> 3), &value)
        }
    }

    private mutating func readValue(_ type: WireType) throws -> WireValue {
        switch type {
        case .varint:
            return .varint(try readVarint())
        case .fixed64:
            return .skipped(try readBytes(8))
        case .fixed32:
            return .skipped(try readBytes(4))
        case .lengthDelimited:
            let length = try readVarint()
            guard length <= UInt64(input.endIndex - offset) else {
                throw WireError.truncated(field: "length-delimited field")
            }
            return .bytes(try readBytes(Int(length)))
        }
    }

    private mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        for shift in stride(from: UInt64(0), to: 70, by: 7) {
            guard offset < input.endIndex else { throw WireError.truncated(field: "varint") }
            let byte = input[offset]
            offset += 1
            guard shift < 63 || byte <= 1 else { throw WireError.malformedVarint }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
        }
        throw WireError.malformedVarint
    }

    private mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count <= input.endIndex - offset else { throw WireError.truncated(field: "field") }
        defer { offset += count }
        return input[offset..<offset + count]
    }
}

/// One decoded field value, typed by its wire type.
package enum WireValue {
    case varint(UInt64)
    case bytes(ArraySlice<UInt8>)
    /// A fixed-width value; none of our fields use one, so it is only skipped.
    case skipped(ArraySlice<UInt8>)

    package func uint(_ field: String) throws -> UInt64 {
        guard case .varint(let value) = self else {
            throw WireError.invalidValue(field: field, reason: "expected a varint")
        }
        return value
    }

    package func bool(_ field: String) throws -> Bool {
        let value = try uint(field)
        guard value <= 1 else { throw WireError.invalidValue(field: field, reason: "a bool must be 0 or 1") }
        return value == 1
    }

    package func bytes(_ field: String) throws -> ArraySlice<UInt8> {
        guard case .bytes(let value) = self else {
            throw WireError.invalidValue(field: field, reason: "expected bytes")
        }
        return value
    }

    /// An embedded message's reader.
    package func message(_ field: String) throws -> WireReader {
        WireReader(try bytes(field))
    }
}
