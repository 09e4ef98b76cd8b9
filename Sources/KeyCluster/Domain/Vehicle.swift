/// A registered vehicle. `revision` is the revision of the last change to the vehicle or any of its grants:
/// the version of its key list, so a vehicle refetches only when it moved.
public struct Vehicle: Codable, Hashable, Sendable {
    public let vin: VIN
    public let registeredBy: OperatorName
    public let registeredAtUnixMs: Int64
    public let revision: UInt64

    func changed(at revision: UInt64) -> Vehicle {
        Vehicle(vin: vin, registeredBy: registeredBy, registeredAtUnixMs: registeredAtUnixMs, revision: revision)
    }
}

/// One change in a vehicle's replicated history, with who made it and the grant as it stood afterwards
/// (a revoked grant survives here after it leaves the live grants).
public struct AuditRecord: Codable, Hashable, Sendable {
    public enum Action: String, Codable, Sendable {
        case registerVehicle, grant, revoke, suspend, resume, forceRevoke, recoverOwnership
    }

    public let revision: UInt64
    public let action: Action
    public let actor: Principal
    public let target: KeyID
    /// When the deciding member took the change, by its clock (a signed request's own timestamp serves its
    /// replay window only).
    public let timestampUnixMs: Int64
    public let grant: Grant
    /// The operator's stated reason, for recoveries (mandatory there).
    public var reason: String? = nil
}
