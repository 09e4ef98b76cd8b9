import Storage

/// Reads, from a read transaction (or the apply's write transaction).
extension KeyAuthorizationStore {
    public func vehicle<A>(_ vin: VIN, in txn: borrowing Transaction<A>) throws -> Vehicle? {
        try txn.get(Self.vehicleKey(vin), in: vehicles).map { try DomainCoding.decode(Vehicle.self, from: $0) }
    }

    /// The vehicle's revision (the version of its key list), or nil for an unknown vehicle.
    public func vehicleRevision<A>(_ vin: VIN, in txn: borrowing Transaction<A>) throws -> UInt64? {
        try vehicle(vin, in: txn)?.revision
    }

    /// The key's live (active or suspended) grant on the vehicle; nil when it has none or it was revoked.
    public func grant<A>(_ vin: VIN, _ keyID: KeyID, in txn: borrowing Transaction<A>) throws -> Grant? {
        try txn.get(Self.grantKey(vin, keyID), in: grants).map { try DomainCoding.decode(Grant.self, from: $0) }
    }

    /// The vehicle's live grants in key-id order: at most `maxKeysPerVehicle` exist.
    public func grants<A>(of vin: VIN, in txn: borrowing Transaction<A>) throws -> [Grant] {
        let found = try txn.entries(grants, .prefix(Self.vehicleKey(vin)), limit: maxKeysPerVehicle + 1)
        assert(found.count <= maxKeysPerVehicle, "vehicle \(vin) holds more than \(maxKeysPerVehicle) keys")
        return try found.map { try DomainCoding.decode(Grant.self, from: $0.value) }
    }

    /// How many live grants the vehicle holds (at most `maxKeysPerVehicle`), counted without decoding them.
    func grantCount<A>(of vin: VIN, in txn: borrowing Transaction<A>) throws -> Int {
        var count = 0
        try txn.scan(grants, .prefix(Self.vehicleKey(vin)), limit: maxKeysPerVehicle + 1) { _, _ in
            count += 1
            return .proceed
        }
        assert(count <= maxKeysPerVehicle, "vehicle \(vin) holds more than \(maxKeysPerVehicle) keys")
        return count
    }

    /// Up to `limit` (at most `maxAuditPageSize`) audit records after `afterRevision`, oldest first; pass
    /// the last record's revision to get the next page.
    public func auditPage<A>(
        _ vin: VIN, afterRevision: UInt64 = 0, limit: Int = DomainLimits.maxAuditPageSize,
        in txn: borrowing Transaction<A>
    ) throws -> [AuditRecord] {
        let pageSize = min(max(limit, 0), DomainLimits.maxAuditPageSize)
        guard afterRevision < .max else { return [] }
        let range = KeyRange(
            from: Self.auditKey(vin, afterRevision + 1), upTo: KeyRange.prefix(Self.vehicleKey(vin)).upperBound)
        return try txn.entries(audit, range, limit: pageSize).map { entry in
            let stored = try DomainCoding.decode(StoredAuditRecord.self, from: entry.value)
            return stored.record(grant: try stored.grant ?? grantChanged(by: stored, on: vin, in: txn))
        }
    }

    /// The grant as `record` (one that names it) left it: the body of the target's grant that was live then
    /// — the first one retired after the record (at it, for a record that retired it), else the live one —
    /// with the record's status and revision. Two lookups, however long the history.
    private func grantChanged<A>(by record: StoredAuditRecord, on vin: VIN, in txn: borrowing Transaction<A>) throws
        -> Grant
    {
        let (from, overflowed) = record.revision.addingReportingOverflow(record.action.retiresGrant ? 0 : 1)
        let keyPrefix = KeyRange.prefix(Self.grantKey(vin, record.target))
        let body: Grant?
        if !overflowed,
            let retired = try txn.entries(
                retiredGrants,
                KeyRange(from: Self.retiredGrantKey(vin, record.target, from), upTo: keyPrefix.upperBound), limit: 1
            ).first
        {
            body = try DomainCoding.decode(Grant.self, from: retired.value)
        } else {
            body = try grant(vin, record.target, in: txn)
        }
        guard let body else { throw AuditRecordUnresolved(vin: vin, revision: record.revision) }
        return body.with(status: record.action.resultingStatus, at: record.revision)
    }

    /// Whether the key may perform `permission` on the vehicle at `timeUnixMs` (the request's timestamp).
    public func decide<A>(
        _ vin: VIN, _ keyID: KeyID, permission: Permission, atUnixMs timeUnixMs: Int64, in txn: borrowing Transaction<A>
    ) throws -> AuthorizationDecision {
        AuthorizationDecision.decide(
            grant: try grant(vin, keyID, in: txn), permission: permission, atUnixMs: timeUnixMs)
    }
}

/// An audit record names a grant that neither the live nor the retired grants hold: the store is damaged.
struct AuditRecordUnresolved: Error, CustomStringConvertible {
    let vin: VIN
    let revision: UInt64
    var description: String {
        "the audit record of \(vin) at revision \(revision) names a grant the store does not hold"
    }
}
