/// The payload of a `.configChange` entry: the whole new configuration, in a small hand-written
/// binary format (the core imports nothing). Little-endian; version byte first so the format can grow:
///
///     u8 version = 1
///     u32 voterCount,   voterCount × u64 id
///     u32 learnerCount, learnerCount × u64 id
///     u32 regionCount,  regionCount × (u64 id, u16 byteCount, UTF-8 bytes)
extension MembershipConfiguration {
    static let encodingVersion: UInt8 = 1
    /// Bounds what a decoder accepts, so a corrupt payload cannot ask for huge allocations.
    static let maxEncodedMembers = 1_024
    static let maxEncodedRegionBytes = 255

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.bytes.append(Self.encodingVersion)
        for ids in [voters, learners] {
            writer.write(UInt32(ids.count))
            for id in ids { writer.write(id.rawValue) }
        }
        let regionEntries = regions.sorted { $0.key < $1.key }
        writer.write(UInt32(regionEntries.count))
        for (id, region) in regionEntries {
            let utf8 = Array(region.utf8.prefix(Self.maxEncodedRegionBytes))
            writer.write(id.rawValue)
            writer.write(UInt16(utf8.count))
            writer.bytes.append(contentsOf: utf8)
        }
        return writer.bytes
    }

    /// Decodes `encoded`; nil for anything malformed (wrong version, truncated, trailing bytes, no voter).
    public init?(decoding bytes: [UInt8]) {
        var reader = ByteReader(bytes: bytes)
        guard reader.readByte() == Self.encodingVersion,
              let voters = reader.readIDs(maxCount: Self.maxEncodedMembers), !voters.isEmpty,
              let learners = reader.readIDs(maxCount: Self.maxEncodedMembers),
              let regionCount = reader.read(UInt32.self), regionCount <= Self.maxEncodedMembers
        else { return nil }
        var regions: [NodeID: String] = [:]
        for _ in 0..<regionCount {
            guard let id = reader.read(UInt64.self), let length = reader.read(UInt16.self),
                  length <= Self.maxEncodedRegionBytes, let utf8 = reader.readBytes(Int(length))
            else { return nil }
            regions[NodeID(id)] = String(decoding: utf8, as: UTF8.self)
        }
        guard reader.isAtEnd else { return nil }
        self.init(voters: voters, learners: learners, regions: regions)
    }
}

private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func write<Value: FixedWidthInteger>(_ value: Value) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }

    mutating func readByte() -> UInt8? {
        readBytes(1)?.first
    }

    mutating func readBytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func read<Value: FixedWidthInteger>(_: Value.Type) -> Value? {
        guard let slice = readBytes(MemoryLayout<Value>.size) else { return nil }
        return slice.reversed().reduce(Value.zero) { $0 << 8 | Value($1) }
    }

    mutating func readIDs(maxCount: Int) -> [NodeID]? {
        guard let count = read(UInt32.self), count <= maxCount else { return nil }
        var ids: [NodeID] = []
        for _ in 0..<count {
            guard let id = read(UInt64.self) else { return nil }
            ids.append(NodeID(id))
        }
        return ids
    }
}
