import Storage

/// The replicated record of management-command nonces, so a replayed signed command is refused by every
/// member alike. Pruned by command timestamps, never by a clock, so every member prunes the same records.
extension KeyAuthorizationStore {
    func isNonceRecorded(_ vin: VIN, _ keyID: KeyID, _ nonce: Nonce, in txn: borrowing WriteTransaction) throws -> Bool
    {
        try txn.contains(Self.nonceKey(vin, keyID, nonce), in: nonces)
    }

    /// Records the nonce, then removes up to `maxNoncePrunesPerCommand` records older than the retention
    /// window before this command's timestamp.
    func recordNonce(
        _ vin: VIN, _ keyID: KeyID, _ nonce: Nonce, timestampUnixMs: Int64, in txn: borrowing WriteTransaction
    ) throws {
        let key = Self.nonceKey(vin, keyID, nonce)
        let inserted = try txn.insert(.bigEndian(UInt64(timestampUnixMs)), for: key, in: nonces)
        assert(inserted, "nonce recorded twice; plan should have refused it")
        try Self.recordTime(of: key, timestampUnixMs: timestampUnixMs, records: nonces, times: nonceTimes, in: txn)
    }

    /// The request timestamp of the last signed change to `keyID`'s grant on `vin`, while retained.
    func lastKeyChange(_ vin: VIN, _ keyID: KeyID, in txn: borrowing WriteTransaction) throws -> Int64? {
        try txn.get(Self.grantKey(vin, keyID), in: keyChanges).map { bytes in
            bytes.reduce(Int64(0)) { $0 << 8 | Int64($1) }
        }
    }

    /// Whether a signed change to `keyID`'s grant, requested at `requestUnixMs`, comes after a change that was
    /// requested later and already applied: a request that waited (a member frozen with it in its socket, a
    /// retry's first try) must not undo what a newer one did — a grant must not bring back a key whose
    /// revocation was acknowledged. Known for `DomainLimits.nonceRetentionSeconds` after the later change.
    func isStale(_ vin: VIN, _ keyID: KeyID, requestedAt requestUnixMs: Int64, in txn: borrowing WriteTransaction)
        throws -> Bool
    {
        guard let last = try lastKeyChange(vin, keyID, in: txn) else { return false }
        return requestUnixMs < last
    }

    /// Records the request timestamp of a signed change to `keyID`'s grant (replacing an older one).
    func recordKeyChange(
        _ vin: VIN, _ keyID: KeyID, requestedAt requestUnixMs: Int64, in txn: borrowing WriteTransaction
    ) throws {
        let key = Self.grantKey(vin, keyID)
        try txn.put(.bigEndian(UInt64(requestUnixMs)), for: key, in: keyChanges)
        try Self.recordTime(
            of: key, timestampUnixMs: requestUnixMs, records: keyChanges, times: keyChangeTimes, in: txn)
    }

    /// Indexes `key` of `records` by `timestampUnixMs` in `times`, then removes up to
    /// `maxNoncePrunesPerCommand` index entries older than the retention window before it — and their
    /// records, unless a newer timestamp has replaced the record's since.
    private static func recordTime(
        of key: [UInt8], timestampUnixMs: Int64, records: Database, times: Database, in txn: borrowing WriteTransaction
    ) throws {
        try txn.put([], for: nonceTimeKey(timestampUnixMs, key), in: times)
        let cutoff = timestampUnixMs - DomainLimits.nonceRetentionMs
        guard cutoff > 0 else { return }
        let expired = try txn.entries(
            times, KeyRange(upTo: .bigEndian(UInt64(cutoff))), limit: DomainLimits.maxNoncePrunesPerCommand)
        let timeBytes = MemoryLayout<UInt64>.size
        for (timeKey, _) in expired {
            try txn.delete(timeKey, in: times)
            let recordKey = Array(timeKey.dropFirst(timeBytes))
            if let stored = try txn.get(recordKey, in: records), stored.count == timeBytes,
                Array(timeKey.prefix(timeBytes)) == stored
            {
                try txn.delete(recordKey, in: records)
            }
        }
    }

    /// How many management nonces are recorded (for tests and metrics).
    public func recordedNonceCount<A>(in txn: borrowing Transaction<A>) throws -> Int {
        try txn.count(in: nonces)
    }
}
