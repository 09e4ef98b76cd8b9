/// Big-endian fixed-width integers in byte arrays: the encoding of every integer key and record field we
/// store, chosen because byte-wise order of big-endian unsigned integers is numeric order, which is what
/// LMDB's default key comparison gives.
extension Array where Element == UInt8 {
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    /// The big-endian bytes of `value`, e.g. an index used as a key.
    public static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(value)
        return bytes
    }
}

/// Reads fields from bytes that came from disk or the network: every read is bounds-checked and a short
/// input is an error, never a crash.
public struct ByteReader {
    /// The input ended before a field it should hold.
    public struct Truncated: Error, Equatable, CustomStringConvertible {
        public let neededBytes: Int
        public let remainingBytes: Int
        public var description: String { "input truncated: needed \(neededBytes) bytes, \(remainingBytes) left" }
    }

    private let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var remainingCount: Int { bytes.count - offset }

    public mutating func readBigEndian<T: FixedWidthInteger>(_ type: T.Type = T.self) throws(Truncated) -> T {
        let size = MemoryLayout<T>.size
        guard remainingCount >= size else { throw Truncated(neededBytes: size, remainingBytes: remainingCount) }
        var value: T = 0
        for byte in bytes[offset..<offset + size] { value = value << 8 | T(byte) }
        offset += size
        return value
    }

    public mutating func readBytes(_ count: Int) throws(Truncated) -> [UInt8] {
        guard count >= 0, remainingCount >= count else {
            throw Truncated(neededBytes: count, remainingBytes: remainingCount)
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    public mutating func readRemaining() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}
