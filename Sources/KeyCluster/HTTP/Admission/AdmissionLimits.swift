/// The bounds on what one member's HTTP API takes on at once (design §8), from the `admission` object of
/// the node configuration; every field is optional and defaults to the value below.
///
/// Unlock decisions, management writes and reads each have their own in-flight budget, so management
/// traffic (or a flood of slow management uploads) can never use up the capacity unlocks need: unlocks are
/// admitted ahead of management writes by construction. A request beyond its class's budget is answered
/// at once with 429, `Retry-After` and a problem document, and changes nothing. Connections beyond
/// `maxConnections` are not accepted until one closes (they wait in the kernel's listen backlog).
public struct AdmissionLimits: Codable, Sendable, Equatable {
    /// Open client connections (TLS) at once.
    public var maxConnections: Int
    /// Unlock (lock, drive, …) decisions in flight: `POST /v1/vehicles/{vin}/commands`.
    public var maxInFlightUnlocks: Int
    /// Management writes in flight: every other POST/PUT (enrolment, grants, revocations, operator actions).
    public var maxInFlightWrites: Int
    /// Reads in flight (GET), except `/healthz`, `/readyz` and `/metrics`, which are always answered so an
    /// operator can see an overloaded member.
    public var maxInFlightReads: Int
    /// The `Retry-After` a refused request is given.
    public var retryAfterSeconds: Int
    /// A client connection that reads nothing for this long is closed — from its accept on, so a TCP
    /// connection that never starts TLS, or stalls mid-handshake or between requests, frees its slot.
    public var idleTimeoutMilliseconds: Int

    public static let defaultMaxConnections = 1_024
    public static let defaultMaxInFlightUnlocks = 512
    public static let defaultMaxInFlightWrites = 256
    public static let defaultMaxInFlightReads = 256
    public static let defaultRetryAfterSeconds = 1
    /// Longer than clients keep idle pooled connections (`MemberClient`: 10 s), so a client closes first.
    public static let defaultIdleTimeoutMilliseconds = 15_000

    public init(
        maxConnections: Int = defaultMaxConnections, maxInFlightUnlocks: Int = defaultMaxInFlightUnlocks,
        maxInFlightWrites: Int = defaultMaxInFlightWrites, maxInFlightReads: Int = defaultMaxInFlightReads,
        retryAfterSeconds: Int = defaultRetryAfterSeconds, idleTimeoutMilliseconds: Int = defaultIdleTimeoutMilliseconds
    ) {
        self.maxConnections = maxConnections
        self.maxInFlightUnlocks = maxInFlightUnlocks
        self.maxInFlightWrites = maxInFlightWrites
        self.maxInFlightReads = maxInFlightReads
        self.retryAfterSeconds = retryAfterSeconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
    }

    /// Absent fields take their defaults, so a configuration names only what it changes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            maxConnections: try container.decodeIfPresent(Int.self, forKey: .maxConnections) ?? Self.defaultMaxConnections,
            maxInFlightUnlocks: try container.decodeIfPresent(Int.self, forKey: .maxInFlightUnlocks) ?? Self.defaultMaxInFlightUnlocks,
            maxInFlightWrites: try container.decodeIfPresent(Int.self, forKey: .maxInFlightWrites) ?? Self.defaultMaxInFlightWrites,
            maxInFlightReads: try container.decodeIfPresent(Int.self, forKey: .maxInFlightReads) ?? Self.defaultMaxInFlightReads,
            retryAfterSeconds: try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? Self.defaultRetryAfterSeconds,
            idleTimeoutMilliseconds: try container.decodeIfPresent(Int.self, forKey: .idleTimeoutMilliseconds)
                ?? Self.defaultIdleTimeoutMilliseconds)
    }

    /// Why these limits cannot run, or nil.
    var refusal: String? {
        guard maxConnections >= 1, maxInFlightUnlocks >= 1, maxInFlightWrites >= 1, maxInFlightReads >= 1 else {
            return "admission limits must each be at least 1"
        }
        guard (1...3_600).contains(retryAfterSeconds) else { return "admission retryAfterSeconds must be 1–3600" }
        guard (100...3_600_000).contains(idleTimeoutMilliseconds) else { return "admission idleTimeoutMilliseconds must be 100–3600000" }
        return nil
    }

    /// The in-flight budget of `requestClass`.
    func budget(of requestClass: RequestClass) -> Int {
        switch requestClass {
        case .unlock: maxInFlightUnlocks
        case .write: maxInFlightWrites
        case .read: maxInFlightReads
        }
    }
}
