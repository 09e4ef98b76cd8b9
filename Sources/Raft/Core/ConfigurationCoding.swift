/// The payload of a `.configChange` entry: the whole new configuration, in a small hand-written
/// binary format (the core imports nothing). Little-endian; version byte first so the format can grow:
///
///     u8 version = 2
///     u32 voterCount,   voterCount × u64 id
///     u32 learnerCount, learnerCount × u64 id
///     u32 regionCount,  regionCount × (u64 id, u16 byteCount, UTF-8 bytes)
///     u32 addressCount, addressCount × (u64 id, u16 byteCount, peer UTF-8, u16 byteCount, client UTF-8)
///
/// Version 1 (without addresses) is still read: logs written before addresses existed stay readable.
extension MembershipConfiguration {
    static let encodingVersion: UInt8 = 2
    static let versionWithoutAddresses: UInt8 = 1
    /// Bounds what a decoder accepts, so a corrupt payload cannot ask for huge allocations.
    static let maxEncodedMembers = 1_024
    static let maxEncodedRegionBytes = 255

    public var encoded: [UInt8] {
        var writer = ConfigurationWriter()
        writer.bytes.append(Self.encodingVersion)
        for ids in [voters, learners] {
            writer.write(UInt32(ids.count))
            for id in ids { writer.write(id.rawValue) }
        }
        let regionEntries = regions.sorted { $0.key < $1.key }
        writer.write(UInt32(regionEntries.count))
        for (id, region) in regionEntries {
            writer.write(id.rawValue)
            writer.writeString(region, maxBytes: Self.maxEncodedRegionBytes)
        }
        let addressEntries = addresses.sorted { $0.key < $1.key }
        writer.write(UInt32(addressEntries.count))
        for (id, address) in addressEntries {
            writer.write(id.rawValue)
            writer.writeString(address.peer, maxBytes: MemberAddresses.maxAddressBytes)
            writer.writeString(address.client, maxBytes: MemberAddresses.maxAddressBytes)
        }
        return writer.bytes
    }

    /// Decodes `encoded`; nil for anything malformed (wrong version, truncated, trailing bytes, no voter).
    public init?(decoding bytes: [UInt8]) {
        var reader = ConfigurationReader(bytes: bytes)
        guard let version = reader.readByte(),
            version == Self.encodingVersion || version == Self.versionWithoutAddresses,
            let voters = reader.readIDs(maxCount: Self.maxEncodedMembers), !voters.isEmpty,
            let learners = reader.readIDs(maxCount: Self.maxEncodedMembers),
            let regionCount = reader.read(UInt32.self), regionCount <= Self.maxEncodedMembers
        else { return nil }
        var regions: [NodeID: String] = [:]
        for _ in 0..<regionCount {
            guard let id = reader.read(UInt64.self),
                let region = reader.readString(maxBytes: Self.maxEncodedRegionBytes)
            else { return nil }
            regions[NodeID(id)] = region
        }
        var addresses: [NodeID: MemberAddresses] = [:]
        if version == Self.encodingVersion {
            guard let addressCount = reader.read(UInt32.self), addressCount <= Self.maxEncodedMembers else {
                return nil
            }
            for _ in 0..<addressCount {
                guard let id = reader.read(UInt64.self),
                    let peer = reader.readString(maxBytes: MemberAddresses.maxAddressBytes), !peer.isEmpty,
                    let client = reader.readString(maxBytes: MemberAddresses.maxAddressBytes), !client.isEmpty
                else { return nil }
                addresses[NodeID(id)] = MemberAddresses(peer: peer, client: client)
            }
        }
        guard reader.isAtEnd else { return nil }
        self.init(voters: voters, learners: learners, regions: regions, addresses: addresses)
    }
}

private struct ConfigurationWriter {
    var bytes: [UInt8] = []

    mutating func write<Value: FixedWidthInteger>(_ value: Value) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// u16 byte count, then at most `maxBytes` UTF-8 bytes of `string`.
    mutating func writeString(_ string: String, maxBytes: Int) {
        let utf8 = Array(string.utf8.prefix(maxBytes))
        write(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

private struct ConfigurationReader {
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

    /// What `ConfigurationWriter.writeString` wrote; nil when truncated or longer than `maxBytes`.
    mutating func readString(maxBytes: Int) -> String? {
        guard let length = read(UInt16.self), length <= maxBytes, let utf8 = readBytes(Int(length)) else { return nil }
        return String(decoding: utf8, as: UTF8.self)
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
