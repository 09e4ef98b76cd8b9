import Foundation

/// A change to the key-authorization state, proposed through Raft and applied by `KeyAuthorizationStore`.
///
/// Key actions carry the signer's key id, nonce and timestamp: the node verified the request's signature and
/// timestamp before proposing; apply re-checks the signer's authority against the state at that point in the
/// log, and the nonce against the replicated record. Operator actions carry the operator's name from their
/// client certificate. Every time rule uses the timestamp carried here, never a clock.
public enum DomainCommand: Codable, Hashable, Sendable {
    case registerVehicle(RegisterVehicle)
    case grant(GrantKey)
    case revoke(ChangeKey)
    case suspend(ChangeKey)
    case resume(ChangeKey)
    case forceRevoke(ForceRevoke)
    case recoverOwnership(RecoverOwnership)

    /// The signed-request fields a key action carries, and when the member decided on it.
    ///
    /// The owner's signature is checked once, by the member that received the request, before it proposes
    /// (`KeyRequestAuthenticator`: one key parse, one P-256 verify); the signature itself is not replicated.
    /// Apply, on every member, decides only what depends on the state at the command's place in the log —
    /// the signer's grant (live, active, an owner's, valid at `decidedAtUnixMs`), its authority over the
    /// target, staleness, and replay: the nonce is refused if the replicated nonce record holds it, so every
    /// member refuses a replay alike. Apply never reads the signer's public key (its stored grant is read
    /// without a curve operation: `KeyPublicKey.init(storedX963:)`); the one curve operation left is the
    /// check that a key a grant gives is a point, which earlier versions make too when decoding the command
    /// — members of mixed versions must refuse the same commands.
    ///
    /// Why apply need not verify again: a command reaches the log only from a member — proposals travel the
    /// peer links, mutual TLS with a member certificate from the cluster CA — so what a proposer's check
    /// concluded is what its proposal carries. Checking it again in apply would protect only against a
    /// member that proposes a command no key signed; such a member is malicious or broken, and it could as
    /// well propose operator commands (register, force-revoke, recover) or change its own state directly,
    /// which no check on the others prevents. What a buggy proposer could get wrong stays checked here: a
    /// key that is not a P-256 point, a replayed nonce, a signer without authority.
    public struct KeySignature: Codable, Hashable, Sendable {
        public let keyID: KeyID
        public let nonce: Nonce
        /// The request's own timestamp: it serves the replay window (nonce retention) only. A client sets
        /// it, so no authority rule may depend on it — a back-dated request must not revive an expired grant.
        public let timestampUnixMs: Int64
        /// The deciding member's clock when it authenticated the request, just before proposing: the time
        /// every grant-window rule of the signer is checked at, and what the audit records (design §9).
        public let decidedAtUnixMs: Int64

        public init(keyID: KeyID, nonce: Nonce, timestampUnixMs: Int64, decidedAtUnixMs: Int64) {
            self.keyID = keyID
            self.nonce = nonce
            self.timestampUnixMs = timestampUnixMs
            self.decidedAtUnixMs = decidedAtUnixMs
        }
    }

    /// Operator: enroll a vehicle with its first owner key.
    public struct RegisterVehicle: Codable, Hashable, Sendable {
        public let vin: VIN
        public let ownerKey: KeyPublicKey
        public let ownerFormFactor: FormFactor
        public let operatorName: OperatorName
        public let timestampUnixMs: Int64

        public init(
            vin: VIN, ownerKey: KeyPublicKey, ownerFormFactor: FormFactor, operatorName: OperatorName,
            timestampUnixMs: Int64
        ) {
            self.vin = vin
            self.ownerKey = ownerKey
            self.ownerFormFactor = ownerFormFactor
            self.operatorName = operatorName
            self.timestampUnixMs = timestampUnixMs
        }
    }

    /// Owner: give a key access. Nil `permissions` means the role's defaults.
    public struct GrantKey: Codable, Hashable, Sendable {
        public let vin: VIN
        public let signer: KeySignature
        public let publicKey: KeyPublicKey
        public let formFactor: FormFactor
        public let role: Role
        public let permissions: Permissions?
        public let notBeforeUnixMs: Int64?
        public let notAfterUnixMs: Int64?

        public init(
            vin: VIN, signer: KeySignature, publicKey: KeyPublicKey, formFactor: FormFactor, role: Role,
            permissions: Permissions? = nil, notBeforeUnixMs: Int64? = nil, notAfterUnixMs: Int64? = nil
        ) {
            self.vin = vin
            self.signer = signer
            self.publicKey = publicKey
            self.formFactor = formFactor
            self.role = role
            self.permissions = permissions
            self.notBeforeUnixMs = notBeforeUnixMs
            self.notAfterUnixMs = notAfterUnixMs
        }
    }

    /// Owner: revoke, suspend or resume another key's grant.
    public struct ChangeKey: Codable, Hashable, Sendable {
        public let vin: VIN
        public let signer: KeySignature
        public let target: KeyID

        public init(vin: VIN, signer: KeySignature, target: KeyID) {
            self.vin = vin
            self.signer = signer
            self.target = target
        }
    }

    /// Operator: revoke any key, e.g. a stolen owner phone.
    public struct ForceRevoke: Codable, Hashable, Sendable {
        public let vin: VIN
        public let target: KeyID
        public let operatorName: OperatorName
        public let timestampUnixMs: Int64

        public init(vin: VIN, target: KeyID, operatorName: OperatorName, timestampUnixMs: Int64) {
            self.vin = vin
            self.target = target
            self.operatorName = operatorName
            self.timestampUnixMs = timestampUnixMs
        }
    }

    /// Operator: give a vehicle that has no usable owner (lost phone, an owner removed by force) a new
    /// unrestricted owner key. The reason is mandatory and audited with the operator's name (design §9).
    public struct RecoverOwnership: Codable, Hashable, Sendable {
        public let vin: VIN
        public let ownerKey: KeyPublicKey
        public let ownerFormFactor: FormFactor
        public let operatorName: OperatorName
        public let reason: String
        public let timestampUnixMs: Int64

        public init(
            vin: VIN, ownerKey: KeyPublicKey, ownerFormFactor: FormFactor, operatorName: OperatorName, reason: String,
            timestampUnixMs: Int64
        ) {
            self.vin = vin
            self.ownerKey = ownerKey
            self.ownerFormFactor = ownerFormFactor
            self.operatorName = operatorName
            self.reason = reason
            self.timestampUnixMs = timestampUnixMs
        }

        /// Why `reason` cannot be recorded, or nil: 1–`maxRecoveryReasonBytes` bytes, not only spaces.
        public static func refusal(ofReason reason: String) -> String? {
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                reason.utf8.count <= DomainLimits.maxRecoveryReasonBytes
            else {
                return "a recovery needs a reason of 1–\(DomainLimits.maxRecoveryReasonBytes) bytes"
            }
            return nil
        }
    }

    public var vin: VIN {
        switch self {
        case .registerVehicle(let command): command.vin
        case .grant(let command): command.vin
        case .revoke(let command), .suspend(let command), .resume(let command): command.vin
        case .forceRevoke(let command): command.vin
        case .recoverOwnership(let command): command.vin
        }
    }

    /// When the deciding member took the command, by its clock: the time every rule is checked at.
    public var decidedAtUnixMs: Int64 {
        switch self {
        case .registerVehicle(let command): command.timestampUnixMs
        case .grant(let command): command.signer.decidedAtUnixMs
        case .revoke(let command), .suspend(let command), .resume(let command): command.signer.decidedAtUnixMs
        case .forceRevoke(let command): command.timestampUnixMs
        case .recoverOwnership(let command): command.timestampUnixMs
        }
    }
}
