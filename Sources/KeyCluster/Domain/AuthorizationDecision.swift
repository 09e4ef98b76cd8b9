/// Whether a key may make a vehicle do something, decided from its grant at the request's time.
public enum AuthorizationDecision: Hashable, Sendable {
    case allowed(Grant)
    case denied(Denial)

    public enum Denial: String, Codable, Sendable, CaseIterable {
        /// No live grant: never granted, or revoked.
        case noGrant
        case suspended
        case notYetValid
        case expired
        case permissionMissing
    }

    /// `time` is the signed request's timestamp (checked against the node's clock when it arrived), so the
    /// decision is the same on every member for the same state.
    public static func decide(grant: Grant?, permission: Permission, atUnixMs time: Int64) -> AuthorizationDecision {
        guard let grant, grant.status != .revoked else { return .denied(.noGrant) }
        guard grant.status == .active else { return .denied(.suspended) }
        if let notBefore = grant.notBeforeUnixMs, time < notBefore { return .denied(.notYetValid) }
        if let notAfter = grant.notAfterUnixMs, time >= notAfter { return .denied(.expired) }
        assert(grant.isWithinWindow(atUnixMs: time))
        guard grant.permissions.contains(permission) else { return .denied(.permissionMissing) }
        return .allowed(grant)
    }
}
