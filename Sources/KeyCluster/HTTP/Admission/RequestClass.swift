import HTTPTypes

/// Which in-flight budget a request draws on (see `AdmissionLimits`).
enum RequestClass: String, CaseIterable, Sendable {
    case unlock, write, read
    /// Writes that take authority away — revoke, suspend, force-revoke a key, withdraw a token signer: the
    /// reserved lane (design §11). A storm of unlocks or grants cannot take its budget, so the write that
    /// must never wait behind others is admitted while they are refused.
    case revocation

    /// The key actions that take authority away (`POST /v1/vehicles/{vin}/keys/{keyID}/{action}`).
    static let revokingKeyActions: Set<Substring> = ["revoke", "suspend", "force-revoke"]
    /// Other paths in the revocation lane.
    static let revokingPaths: Set<String> = ["/v1/cluster/token-signers/withdraw"]

    /// Endpoints answered outside every budget: an overloaded member must still say how it is.
    static let unbudgetedPaths: Set<String> = ["/healthz", "/readyz", "/metrics"]

    /// The class of `method path`, or nil for an unbudgeted endpoint. Decided from the request line alone,
    /// before routing or reading the body, so refusing costs almost nothing.
    init?(method: HTTPRequest.Method, path: String) {
        if method == .get || method == .head {
            guard !Self.unbudgetedPaths.contains(path) else { return nil }
            self = .read
            return
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        // "", "v1", "vehicles", vin, "commands"
        let isVehicles = segments.count >= 5 && segments[1] == "v1" && segments[2] == "vehicles"
        if method == .post && isVehicles && segments.count == 5 && segments[4] == "commands" {
            self = .unlock
        } else if method == .post && isVehicles && segments.count == 7 && segments[4] == "keys"
            && Self.revokingKeyActions.contains(segments[6])
        {
            // "", "v1", "vehicles", vin, "keys", keyID, action
            self = .revocation
        } else if method == .post && Self.revokingPaths.contains(path) {
            self = .revocation
        } else {
            self = .write
        }
    }
}
