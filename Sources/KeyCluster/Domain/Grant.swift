public enum GrantStatus: String, Codable, Sendable {
    case active, suspended, revoked
}

/// A key's access to one vehicle.
///
/// Times are Unix milliseconds: integers, so every member compares them identically. `notBefore` is
/// inclusive, `notAfter` exclusive; nil means unbounded.
public struct Grant: Codable, Hashable, Sendable {
    public let vin: VIN
    public let keyID: KeyID
    public let publicKey: KeyPublicKey
    public let formFactor: FormFactor
    public let role: Role
    public let permissions: Permissions
    public let notBeforeUnixMs: Int64?
    public let notAfterUnixMs: Int64?
    public let grantedBy: Principal
    public let grantedAtUnixMs: Int64
    /// The revision of the last change to this grant (granted, suspended, resumed, revoked).
    public let revision: UInt64
    public let status: GrantStatus

    public init(
        vin: VIN, publicKey: KeyPublicKey, formFactor: FormFactor, role: Role, permissions: Permissions,
        notBeforeUnixMs: Int64?, notAfterUnixMs: Int64?, grantedBy: Principal, grantedAtUnixMs: Int64,
        revision: UInt64, status: GrantStatus
    ) {
        self.init(
            vin: vin, keyID: publicKey.keyID, publicKey: publicKey, formFactor: formFactor, role: role,
            permissions: permissions,
            notBeforeUnixMs: notBeforeUnixMs, notAfterUnixMs: notAfterUnixMs, grantedBy: grantedBy,
            grantedAtUnixMs: grantedAtUnixMs,
            revision: revision, status: status)
    }

    /// With the key id given: as a stored record holds it, or already derived from the key (a SHA-256 each).
    init(
        vin: VIN, keyID: KeyID, publicKey: KeyPublicKey, formFactor: FormFactor, role: Role, permissions: Permissions,
        notBeforeUnixMs: Int64?, notAfterUnixMs: Int64?, grantedBy: Principal, grantedAtUnixMs: Int64,
        revision: UInt64, status: GrantStatus
    ) {
        self.vin = vin
        self.keyID = keyID
        self.publicKey = publicKey
        self.formFactor = formFactor
        self.role = role
        self.permissions = permissions
        self.notBeforeUnixMs = notBeforeUnixMs
        self.notAfterUnixMs = notAfterUnixMs
        self.grantedBy = grantedBy
        self.grantedAtUnixMs = grantedAtUnixMs
        self.revision = revision
        self.status = status
    }

    /// Whether `time` lies inside the grant's validity window (status aside).
    public func isWithinWindow(atUnixMs time: Int64) -> Bool {
        if let notBeforeUnixMs, time < notBeforeUnixMs { return false }
        if let notAfterUnixMs, time >= notAfterUnixMs { return false }
        return true
    }

    /// The same grant with a new status, changed at `revision`.
    func with(status: GrantStatus, at revision: UInt64) -> Grant {
        Grant(
            vin: vin, keyID: keyID, publicKey: publicKey, formFactor: formFactor, role: role, permissions: permissions,
            notBeforeUnixMs: notBeforeUnixMs, notAfterUnixMs: notAfterUnixMs, grantedBy: grantedBy,
            grantedAtUnixMs: grantedAtUnixMs, revision: revision, status: status)
    }
}

/// The ownership hierarchy (design §9: ownership cannot be locked out).
extension Grant {
    /// An owner with every owner permission and no time window: the top of the hierarchy. The last active
    /// one of a vehicle can be removed by an operator only.
    public var isUnrestrictedOwner: Bool {
        role == .owner && permissions == Role.owner.maximumPermissions && notBeforeUnixMs == nil
            && notAfterUnixMs == nil
    }

    /// Whether this grant holds at least everything `other` holds: a role ranked at least as high, a superset
    /// of its permissions, and a window containing its window (nil bounds are unbounded). A key may revoke,
    /// suspend or resume only grants it dominates — so a limited owner can never act on a fuller one, and
    /// equals (two unrestricted co-owners) may act on each other.
    public func dominates(_ other: Grant) -> Bool {
        guard role.rank >= other.role.rank, permissions.isSuperset(of: other.permissions) else { return false }
        let startsNoLater = notBeforeUnixMs.map { mine in other.notBeforeUnixMs.map { mine <= $0 } ?? false } ?? true
        let endsNoEarlier = notAfterUnixMs.map { mine in other.notAfterUnixMs.map { mine >= $0 } ?? false } ?? true
        return startsNoLater && endsNoEarlier
    }
}
