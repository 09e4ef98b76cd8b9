/// A vehicle's active grants at one revision: cached by the vehicle so phone-to-car unlocking over a local
/// link keeps working while the cloud is unreachable, and refetched only when the revision moves.
public struct VehicleKeyList: NodeSignedClaims {
    public struct Entry: Codable, Hashable, Sendable {
        public let keyID: KeyID
        public let publicKey: KeyPublicKey
        public let formFactor: FormFactor
        public let role: Role
        public let permissions: Permissions
        public let notBeforeUnixMs: Int64?
        public let notAfterUnixMs: Int64?
    }

    public let vin: VIN
    /// The vehicle's revision: any change to its grants moves it.
    public let revision: UInt64
    public let issuedAtUnixMs: Int64
    public let issuingNode: UInt64
    public let keys: [Entry]
    /// The cluster revision the list was read at (at least the read point; every change acknowledged
    /// before a strict read is in it). Absent in lists from members before this field.
    public let readRevision: UInt64?
    /// How the list was read: `strict` (linearizable) or `bounded` (the member's state, proven current
    /// within its `maxStalenessMilliseconds`). A vehicle that wants only strict lists checks it.
    public let consistency: ReadConsistency?
    /// After this the vehicle stops relying on the list (`DomainLimits.keyListLifetimeSeconds`, never past the
    /// signing certificate's end) and accepts any newer valid list, whatever revision the old one claimed.
    public let validUntilUnixMs: Int64?
    /// Fingerprints (`TokenSigningUsage.fingerprint`) of signing certificates withdrawn before their expiry:
    /// the vehicle refuses tokens and lists signed with them.
    public let withdrawnSigners: [String]?

    public init(
        vin: VIN, revision: UInt64, issuedAtUnixMs: Int64, issuingNode: UInt64, keys: [Entry],
        readRevision: UInt64? = nil,
        consistency: ReadConsistency? = nil, validUntilUnixMs: Int64? = nil, withdrawnSigners: [String]? = nil
    ) {
        self.validUntilUnixMs = validUntilUnixMs
        self.withdrawnSigners = withdrawnSigners
        self.vin = vin
        self.revision = revision
        self.issuedAtUnixMs = issuedAtUnixMs
        self.issuingNode = issuingNode
        self.keys = keys
        self.readRevision = readRevision
        self.consistency = consistency
    }
}
