import Storage

/// The replicated record of management-command nonces, so a replayed signed command is refused by every
/// member alike. Pruned by command timestamps, never by a clock, so every member prunes the same records.
extension KeyAuthorizationStore {
    func isNonceRecorded(_ vin: VIN, _ keyID: KeyID, _ nonce: Nonce, in txn: borrowing WriteTransaction) throws -> Bool {
        try txn.contains(Self.nonceKey(vin, keyID, nonce), in: nonces)
    }

    /// Records the nonce, then removes up to `maxNoncePrunesPerCommand` records older than the retention
    /// window before this command's timestamp.
    func recordNonce(_ vin: VIN, _ keyID: KeyID, _ nonce: Nonce, timestampUnixMs: Int64, in txn: borrowing WriteTransaction) throws {
        let key = Self.nonceKey(vin, keyID, nonce)
        let inserted = try txn.insert(.bigEndian(UInt64(timestampUnixMs)), for: key, in: nonces)
        assert(inserted, "nonce recorded twice; plan should have refused it")
        try txn.put([], for: Self.nonceTimeKey(timestampUnixMs, key), in: nonceTimes)

        let cutoff = timestampUnixMs - DomainLimits.nonceRetentionMs
        guard cutoff > 0 else { return }
        let expired = try txn.entries(
            nonceTimes, KeyRange(upTo: .bigEndian(UInt64(cutoff))), limit: DomainLimits.maxNoncePrunesPerCommand)
        let timeBytes = MemoryLayout<UInt64>.size
        for (timeKey, _) in expired {
            try txn.delete(timeKey, in: nonceTimes)
            try txn.delete(Array(timeKey.dropFirst(timeBytes)), in: nonces)
        }
    }

    /// How many management nonces are recorded (for tests and metrics).
    public func recordedNonceCount<A>(in txn: borrowing Transaction<A>) throws -> Int {
        try txn.count(in: nonces)
    }
}
