import Hummingbird

/// What a key-authorization change answers: the revision it committed at (usable as `minRevision`), and
/// the grant as it now stands.
public struct KeyChange: ResponseEncodable, Decodable, Sendable {
    public var revision: UInt64
    public var grant: Grant
}

/// `GET /v1/vehicles/{vin}`: the vehicle, its live grants, the revision they were read at (at least the
/// read point) and how consistent that read was (`ReadPath`).
public struct VehicleView: ResponseEncodable, Decodable, Sendable {
    public var vehicle: Vehicle
    public var grants: [Grant]
    public var appliedIndex: UInt64
    public var consistency: ReadConsistency
}

/// `GET /v1/vehicles/{vin}/audit`: one page of the vehicle's history, oldest first.
public struct AuditPage: ResponseEncodable, Decodable, Sendable {
    public var records: [AuditRecord]
    public var appliedIndex: UInt64
    public var consistency: ReadConsistency
}
