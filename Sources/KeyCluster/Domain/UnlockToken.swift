/// Claims a node signs: they name the node, and the verifier checks its certificate names the same node.
public protocol NodeSignedClaims: Codable, Hashable, Sendable {
    var issuingNode: UInt64 { get }
}

/// How fresh the state behind a decision was (design §6).
public enum ReadConsistency: String, Codable, Sendable {
    /// Linearizable: confirmed current through the leader (ReadIndex).
    case strict
    /// From this node's local state, known current within `maxStaleness`.
    case bounded
}

/// The claims of an unlock (or lock, drive, …) decision, signed by the deciding node so the vehicle can act
/// on it offline. Issued only for an allowed decision.
public struct UnlockToken: NodeSignedClaims {
    public let vin: VIN
    public let keyID: KeyID
    public let command: Permission
    /// The signed request's nonce (the client chose it): with the key id, what the vehicle's
    /// `UsedRequestLedger` remembers so one request yields one usable token.
    public let nonce: Nonce
    public let issuedAtUnixMs: Int64
    public let expiresAtUnixMs: Int64
    /// The revision of the state the decision was made on.
    public let revision: UInt64
    public let consistency: ReadConsistency
    public let issuingNode: UInt64

    public init(
        vin: VIN, keyID: KeyID, command: Permission, nonce: Nonce, issuedAtUnixMs: Int64, expiresAtUnixMs: Int64,
        revision: UInt64, consistency: ReadConsistency, issuingNode: UInt64
    ) {
        self.vin = vin
        self.keyID = keyID
        self.command = command
        self.nonce = nonce
        self.issuedAtUnixMs = issuedAtUnixMs
        self.expiresAtUnixMs = expiresAtUnixMs
        self.revision = revision
        self.consistency = consistency
        self.issuingNode = issuingNode
    }
}
