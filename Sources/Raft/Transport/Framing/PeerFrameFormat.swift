import NIOCore

/// The wire format of one peer frame:
///
///     UInt32 big-endian length | UInt8 version | payload (length - 1 bytes)
///
/// The length counts the version byte and the payload, so a frame can never be empty (length ≥ 1) and the
/// length alone tells the decoder, before it reads anything else, whether the frame fits its bound. The
/// version byte lets a future format run beside this one during a rolling upgrade: an unknown version
/// closes the connection instead of being misread.
public enum PeerFrameFormat {
    /// Bytes of the length prefix.
    public static let lengthPrefixBytes = 4
    /// The only version this build writes and reads.
    public static let currentVersion: UInt8 = 1
    /// The default bound on a frame's length (version byte + payload): 8 MiB, enough for a snapshot
    /// chunk or a batch of appends, small enough that a hostile peer cannot make us buffer much.
    public static let defaultMaxFrameBytes = 8 * 1024 * 1024

    /// Writes `payload` as one frame into a new buffer.
    ///
    /// The caller has already checked the payload against its bound: this is a programmer error.
    public static func encode(
        payload: [UInt8], maxFrameBytes: Int, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        precondition(payload.count + 1 <= maxFrameBytes, "payload of \(payload.count) bytes exceeds the frame bound")
        var buffer = allocator.buffer(capacity: lengthPrefixBytes + 1 + payload.count)
        buffer.writeInteger(UInt32(payload.count + 1), endianness: .big)
        buffer.writeInteger(currentVersion)
        buffer.writeBytes(payload)
        return buffer
    }

    /// Reads one frame from the front of `buffer` if it is complete; returns `nil` (consuming nothing)
    /// when more bytes are needed.
    ///
    /// The length is checked before the body is read or any storage is made for it, so a hostile length
    /// costs nothing; a frame is only materialised once all of it has arrived.
    public static func decode(from buffer: inout ByteBuffer, maxFrameBytes: Int) throws(PeerFrameError) -> [UInt8]? {
        precondition(maxFrameBytes >= 1 && maxFrameBytes <= Int(UInt32.max), "frame bound out of range")
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        guard length >= 1 else { throw .emptyFrame }
        guard length <= maxFrameBytes else { throw .oversize(lengthBytes: Int(length), maxFrameBytes: maxFrameBytes) }
        guard buffer.readableBytes >= lengthPrefixBytes + Int(length) else { return nil }
        let versionIndex = buffer.readerIndex + lengthPrefixBytes
        guard let version = buffer.getInteger(at: versionIndex, as: UInt8.self) else { return nil }
        guard version == currentVersion else { throw .unknownVersion(version) }
        buffer.moveReaderIndex(forwardBy: lengthPrefixBytes + 1)
        // Cannot fail: `readableBytes` was checked above.
        return buffer.readBytes(length: Int(length) - 1) ?? []
    }
}

/// Why a peer's byte stream was not a valid sequence of frames; each closes the connection.
public enum PeerFrameError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyFrame
    case oversize(lengthBytes: Int, maxFrameBytes: Int)
    case unknownVersion(UInt8)

    public var description: String {
        switch self {
        case .emptyFrame: "frame of length 0 (no version byte)"
        case .oversize(let length, let bound): "frame of \(length) bytes exceeds the bound of \(bound) bytes"
        case .unknownVersion(let version):
            "frame version \(version) is unknown (this build speaks \(PeerFrameFormat.currentVersion))"
        }
    }
}
