/// Which cluster a member's state belongs to: 16 bytes fixed at bootstrap (or at a restore, which makes a
/// new cluster), stored with the Raft hard state and carried on every peer frame. Certificates say *who* a
/// peer is; this says *whose data* it holds — two clusters may share a CA, and a data directory restored
/// from another cluster's backup holds a valid certificate and a foreign state. Members with different ids
/// never exchange Raft messages.
public struct ClusterID: Hashable, Sendable, CustomStringConvertible {
    /// Length of an id on the wire and on disk.
    public static let byteCount = 16
    /// The all-zero id on the wire: "this member has no id yet" (a joining member before it heard from
    /// the cluster). Never stored, never a real id.
    public static let unknownWireBytes = [UInt8](repeating: 0, count: byteCount)

    public let bytes: [UInt8]

    /// `nil` unless `bytes` has exactly `byteCount` bytes, not all zero.
    public init?(bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        guard array.count == Self.byteCount, array != Self.unknownWireBytes else { return nil }
        self.bytes = array
    }

    /// Parses the 32 lower-case or upper-case hex digits of `description`.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == Self.byteCount * 2 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount)
        for pair in stride(from: 0, to: utf8.count, by: 2) {
            guard let high = Self.nibble(utf8[pair]), let low = Self.nibble(utf8[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    /// 32 lower-case hex digits.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(Self.byteCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
