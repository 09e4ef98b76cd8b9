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

extension AuditRecord.Action {
    /// The status the changed grant has after this action.
    var resultingStatus: GrantStatus {
        switch self {
        case .registerVehicle, .grant, .resume, .recoverOwnership: .active
        case .suspend: .suspended
        case .revoke, .forceRevoke: .revoked
        }
    }

    /// Whether the grant leaves the live grants with this action (and is kept in `domain.retiredGrants`).
    var retiresGrant: Bool { resultingStatus == .revoked }
}

/// An audit record as `domain.audit` stores it.
///
/// Until this version every record embedded the grant as it stood after the change — a second copy, on
/// every grant, of the record `domain.grants` holds. Records written now leave `grant` out and name it by
/// vehicle, `target` and `revision`: a grant's immutable body (key, role, permissions, window, granter) is
/// the target's live grant, or the one `domain.retiredGrants` kept when it left the live grants (revoked,
/// or replaced by an ownership recovery) first at or after the record; its status follows from `action`
/// and its revision is the record's (`KeyAuthorizationStore.auditPage`). Both forms decode, so history
/// written by earlier versions reads as before.
struct StoredAuditRecord: Codable, Hashable, Sendable {
    let revision: UInt64
    let action: AuditRecord.Action
    let actor: Principal
    let target: KeyID
    let timestampUnixMs: Int64
    /// Present in records of earlier versions only.
    let grant: Grant?
    let reason: String?

    /// The record of a change written now: without the grant.
    init(
        revision: UInt64, action: AuditRecord.Action, actor: Principal, target: KeyID, timestampUnixMs: Int64,
        reason: String?
    ) {
        self.revision = revision
        self.action = action
        self.actor = actor
        self.target = target
        self.timestampUnixMs = timestampUnixMs
        self.grant = nil
        self.reason = reason
    }

    /// The record as the API gives it, with the grant as it stood after the change.
    func record(grant: Grant) -> AuditRecord {
        AuditRecord(
            revision: revision, action: action, actor: actor, target: target, timestampUnixMs: timestampUnixMs,
            grant: grant,
            reason: reason)
    }
}
