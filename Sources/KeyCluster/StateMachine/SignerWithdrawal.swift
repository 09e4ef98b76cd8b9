import Foundation

/// An operator withdraws a member's token-signing certificate before it expires (its key was copied, the
/// host is suspect): replicated like any write, so every member publishes it in the key lists it signs and
/// none signs with it any more. Vehicles then refuse tokens and lists signed with it (design §9).
package struct SignerWithdrawal: Codable, Sendable, Equatable {
    /// `TokenSigningUsage.fingerprint` of the certificate.
    let fingerprint: String
    /// The member the certificate names.
    let memberID: UInt64
    /// The certificate's own end: after it the withdrawal is moot and is dropped (so the list stays bounded).
    let notValidAfterUnixMs: Int64
    let reason: String
    let operatorName: String
    /// When the operator's member accepted the request (the time pruning is measured against at apply).
    let atUnixMs: Int64

    var storageKey: [UInt8] { Array(fingerprint.utf8) }

    /// Whether it still matters at `nowUnixMs`.
    func isCurrent(atUnixMs nowUnixMs: Int64) -> Bool { nowUnixMs < notValidAfterUnixMs }
}

/// A stored withdrawal record that does not decode: the store is damaged.
struct SignerWithdrawalRecordCorrupt: Error, CustomStringConvertible {
    var description: String { "a stored signer withdrawal record does not decode" }
}
