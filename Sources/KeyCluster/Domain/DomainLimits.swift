/// The named bounds of the key-authorization domain (design §5, §8).
///
/// They decide replicated outcomes, so every member must use the same values: they are constants of the
/// build, not node configuration.
public enum DomainLimits {
    /// Non-revoked keys one vehicle may hold. A bound on apply work (rules scan a vehicle's grants) and on
    /// the size of the signed key list a vehicle caches.
    public static let defaultMaxKeysPerVehicle = 32
    /// How far a signed request's timestamp may be from the deciding node's clock, either way.
    public static let maxClockSkewSeconds: Int64 = 30
    /// How long a management command's (key, nonce) stays recorded, measured on command timestamps.
    ///
    /// A replay is only accepted by a node whose clock is within `maxClockSkewSeconds` of the original
    /// timestamp, and the command that prunes was itself stamped by some node's clock; twice the skew window
    /// covers both ends, and another window covers members' clocks disagreeing with each other.
    public static let nonceRetentionSeconds: Int64 = 3 * maxClockSkewSeconds
    /// Expired nonce records removed by one accepted command: bounds apply work, and since each accepted
    /// command adds one record, pruning keeps pace with recording.
    public static let maxNoncePrunesPerCommand = 64
    /// Nonces are random tokens from the client: long enough to be unguessable, short enough to store.
    public static let minNonceLength = 16
    public static let maxNonceLength = 64
    /// Longest reason an operator gives for an ownership recovery (it is stored in the audit for good).
    public static let maxRecoveryReasonBytes = 512
    /// Longest audit page one read returns.
    public static let maxAuditPageSize = 100
    /// Unlock tokens are short-lived: the vehicle acts on them now, never later.
    public static let maxTokenLifetimeSeconds: Int64 = 30
    public static let defaultTokenLifetimeSeconds: Int64 = 10
    /// How long a signed key list is good for on a vehicle (no longer than its signing certificate): the bound
    /// on how long a revoked key keeps working offline on a car that gets no newer list, and on how long a
    /// list forged with a stolen signing key can pin a car. Vehicles (or phones on their behalf) refetch
    /// well within it.
    public static let keyListLifetimeSeconds: Int64 = 24 * 3_600
    /// The most withdrawn signing certificates a key list carries (and the cluster keeps, until each expires).
    public static let maxWithdrawnSigners = 64
    /// Latest timestamp accepted anywhere (the last millisecond of year 9999): keeps timestamp arithmetic
    /// far from overflow, and a value beyond it is a client bug, not a date.
    public static let maxTimestampUnixMs: Int64 = 253_402_300_799_999
    /// Bounds on the text fields of a signed request.
    public static let maxMethodLength = 16
    public static let maxPathLength = 1024
    public static let maxCommandNameLength = 32
    /// A base64 DER ECDSA P-256 signature is at most 72 bytes, 96 characters; anything longer is not one.
    public static let maxSignatureBase64Length = 96
    /// A signed document (token, key list) and the node certificate it carries: bounded before parsing.
    public static let maxSignedPayloadBytes = 64 * 1024
    public static let maxCertificateBytes = 8 * 1024
}

extension DomainLimits {
    static var maxClockSkewMs: Int64 { maxClockSkewSeconds * 1000 }
    static var nonceRetentionMs: Int64 { nonceRetentionSeconds * 1000 }

    /// Whether `timestamp` is a Unix-ms time this domain accepts.
    static func isValidTimestamp(_ timestamp: Int64) -> Bool {
        (0...maxTimestampUnixMs).contains(timestamp)
    }
}
