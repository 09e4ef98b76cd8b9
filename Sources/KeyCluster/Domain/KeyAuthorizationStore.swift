import Storage

/// The key-authorization state in the node's LMDB environment: applies `DomainCommand`s inside the
/// replicated state machine's write transaction, and answers reads from any transaction.
///
/// Named databases and their keys (VIN: 17 ASCII bytes; key id: 64 ASCII hex bytes; integers big-endian so
/// byte order is numeric order):
///
///     domain.vehicles   VIN                              → Vehicle (JSON)
///     domain.grants     VIN ‖ keyID                      → Grant (JSON); live grants only — revoked ones
///                                                          leave and stay in the audit history
///     domain.audit      VIN ‖ revision (u64)             → StoredAuditRecord (JSON): the change, naming its
///                                                          grant (earlier versions embedded it)
///     domain.retiredGrants VIN ‖ keyID ‖ revision (u64)  → Grant (JSON) that left the live grants at that
///                                                          revision (revoked, or replaced by a recovery):
///                                                          the one copy of its body the audit history reads
///     domain.nonces     VIN ‖ keyID ‖ nonce              → timestamp (u64, Unix ms)
///     domain.nonceTimes timestamp (u64) ‖ VIN ‖ keyID ‖ nonce → empty: the same records in time order, to prune
///     domain.keyChanges VIN ‖ keyID                      → request timestamp (u64) of the last signed change
///                                                          to that key's grant (`isStale`)
///     domain.keyChangeTimes timestamp (u64) ‖ VIN ‖ keyID → empty: the same records in time order, to prune
public struct KeyAuthorizationStore: Sendable {
    let vehicles: Database
    let grants: Database
    let audit: Database
    let retiredGrants: Database
    let nonces: Database
    let nonceTimes: Database
    let keyChanges: Database
    let keyChangeTimes: Database

    /// Every database of the key-authorization state (what a snapshot or backup carries).
    var databases: [Database] {
        [vehicles, grants, audit, retiredGrants, nonces, nonceTimes, keyChanges, keyChangeTimes]
    }

    /// Must be equal on every member (it decides replicated outcomes).
    public let maxKeysPerVehicle: Int

    public init(environment: Environment, maxKeysPerVehicle: Int = DomainLimits.defaultMaxKeysPerVehicle) throws {
        precondition(maxKeysPerVehicle > 0, "a vehicle must be able to hold its owner key")
        vehicles = try environment.openDatabase("domain.vehicles")
        grants = try environment.openDatabase("domain.grants")
        audit = try environment.openDatabase("domain.audit")
        retiredGrants = try environment.openDatabase("domain.retiredGrants")
        nonces = try environment.openDatabase("domain.nonces")
        nonceTimes = try environment.openDatabase("domain.nonceTimes")
        keyChanges = try environment.openDatabase("domain.keyChanges")
        keyChangeTimes = try environment.openDatabase("domain.keyChangeTimes")
        self.maxKeysPerVehicle = maxKeysPerVehicle
    }
}

/// Record keys.
extension KeyAuthorizationStore {
    static func vehicleKey(_ vin: VIN) -> [UInt8] { Array(vin.text.utf8) }

    static func grantKey(_ vin: VIN, _ keyID: KeyID) -> [UInt8] { Array(vin.text.utf8) + Array(keyID.text.utf8) }

    static func auditKey(_ vin: VIN, _ revision: UInt64) -> [UInt8] { Array(vin.text.utf8) + .bigEndian(revision) }

    static func retiredGrantKey(_ vin: VIN, _ keyID: KeyID, _ revision: UInt64) -> [UInt8] {
        grantKey(vin, keyID) + .bigEndian(revision)
    }

    static func nonceKey(_ vin: VIN, _ keyID: KeyID, _ nonce: Nonce) -> [UInt8] {
        Array(vin.text.utf8) + Array(keyID.text.utf8) + Array(nonce.text.utf8)
    }

    static func nonceTimeKey(_ timestampUnixMs: Int64, _ nonceKey: [UInt8]) -> [UInt8] {
        .bigEndian(UInt64(timestampUnixMs)) + nonceKey
    }
}
