import HTTPTypes

/// Which in-flight budget a request draws on (see `AdmissionLimits`).
enum RequestClass: String, CaseIterable, Sendable {
    case unlock, write, read

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
        let isUnlock = method == .post && segments.count == 5 && segments[1] == "v1" && segments[2] == "vehicles" && segments[4] == "commands"
        self = isUnlock ? .unlock : .write
    }
}
