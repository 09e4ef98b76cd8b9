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

    /// The signed-request fields a key action carries.
    public struct KeySignature: Codable, Hashable, Sendable {
        public let keyID: KeyID
        public let nonce: Nonce
        public let timestampUnixMs: Int64

        public init(keyID: KeyID, nonce: Nonce, timestampUnixMs: Int64) {
            self.keyID = keyID
            self.nonce = nonce
            self.timestampUnixMs = timestampUnixMs
        }
    }

    /// Operator: enroll a vehicle with its first owner key.
    public struct RegisterVehicle: Codable, Hashable, Sendable {
        public let vin: VIN
        public let ownerKey: KeyPublicKey
        public let ownerFormFactor: FormFactor
        public let operatorName: OperatorName
        public let timestampUnixMs: Int64

        public init(vin: VIN, ownerKey: KeyPublicKey, ownerFormFactor: FormFactor, operatorName: OperatorName, timestampUnixMs: Int64) {
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

    public var vin: VIN {
        switch self {
        case .registerVehicle(let command): command.vin
        case .grant(let command): command.vin
        case .revoke(let command), .suspend(let command), .resume(let command): command.vin
        case .forceRevoke(let command): command.vin
        }
    }

    public var timestampUnixMs: Int64 {
        switch self {
        case .registerVehicle(let command): command.timestampUnixMs
        case .grant(let command): command.signer.timestampUnixMs
        case .revoke(let command), .suspend(let command), .resume(let command): command.signer.timestampUnixMs
        case .forceRevoke(let command): command.timestampUnixMs
        }
    }
}
