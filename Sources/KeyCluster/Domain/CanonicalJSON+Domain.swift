/// The canonical JSON forms (`CanonicalJSON`) of the domain's records and commands. Each writes its fields
/// in sorted key order, as `DomainCoding`'s sorted `Codable` encoding does; each reader reads that order.
/// Keys of stored records are read as stored (`KeyPublicKey.init(storedX963:)`); a key a command carries is
/// checked to be a P-256 point, as `JSONDecoder` checks it for every version's commands.

extension Vehicle: CanonicalJSONWritable, CanonicalJSONReadable {
    func write(to writer: inout CanonicalJSON.Writer) {
        writer.object { writer in
            writer.field("registeredAtUnixMs", registeredAtUnixMs)
            writer.field("registeredBy", registeredBy.text)
            writer.field("revision", revision)
            writer.field("vin", vin.text)
        }
    }

    init(canonical reader: inout CanonicalJSON.Reader) throws {
        self = try reader.object { reader in
            try reader.key("registeredAtUnixMs")
            let registeredAt = try reader.int()
            try reader.key("registeredBy")
            let registeredBy = try reader.domainString(OperatorName.self)
            try reader.key("revision")
            let revision = try reader.uint()
            try reader.key("vin")
            return Vehicle(
                vin: try reader.domainString(VIN.self), registeredBy: registeredBy, registeredAtUnixMs: registeredAt,
                revision: revision)
        }
    }
}

/// The stored form only (`{"key":{"_0":…}}`): the API form is for answers, which stay `Codable`.
extension Principal: CanonicalJSONWritable, CanonicalJSONReadable {
    func write(to writer: inout CanonicalJSON.Writer) {
        switch self {
        case .key(let keyID): writer.wrapped("key") { $0.field("_0", keyID.text) }
        case .operator(let name): writer.wrapped("operator") { $0.field("_0", name.text) }
        }
    }

    init(canonical reader: inout CanonicalJSON.Reader) throws {
        let kind = try reader.caseName()
        self = try reader.object { reader in
            try reader.key("_0")
            switch kind {
            case "key": return .key(try reader.domainString(KeyID.self))
            case "operator": return .operator(try reader.domainString(OperatorName.self))
            default: throw CanonicalJSON.Mismatch()
            }
        }
        try reader.endCase()
    }
}

extension KeyPublicKey: CanonicalJSONWritable, CanonicalJSONReadable {
    func write(to writer: inout CanonicalJSON.Writer) { writer.string(base64) }

    init(canonical reader: inout CanonicalJSON.Reader) throws {
        try self.init(storedX963: try Self.canonicalBytes(&reader))
    }

    /// A key a replicated command carries: checked to be a point (see `DomainCoding.commandDecoder`).
    static func command(_ reader: inout CanonicalJSON.Reader) throws -> KeyPublicKey {
        try KeyPublicKey(x963: try canonicalBytes(&reader))
    }

    private static func canonicalBytes(_ reader: inout CanonicalJSON.Reader) throws -> [UInt8] {
        guard let bytes = x963(base64: try reader.string()) else { throw CanonicalJSON.Mismatch() }
        return bytes
    }
}

extension Permissions: CanonicalJSONWritable, CanonicalJSONReadable {
    func write(to writer: inout CanonicalJSON.Writer) {
        writer.array { writer in
            for permission in members { writer.string(permission.rawValue) }
        }
    }

    init(canonical reader: inout CanonicalJSON.Reader) throws {
        self.init(
            try reader.strings().map { name in
                guard let permission = Permission(rawValue: name) else { throw CanonicalJSON.Mismatch() }
                return permission
            })
    }
}

extension Grant: CanonicalJSONWritable, CanonicalJSONReadable {
    func write(to writer: inout CanonicalJSON.Writer) {
        writer.object { writer in
            writer.field("formFactor", formFactor.rawValue)
            writer.field("grantedAtUnixMs", grantedAtUnixMs)
            writer.field("grantedBy", grantedBy)
            writer.field("keyID", keyID.text)
            writer.field("notAfterUnixMs", notAfterUnixMs)
            writer.field("notBeforeUnixMs", notBeforeUnixMs)
            writer.field("permissions", permissions)
            writer.field("publicKey", publicKey)
            writer.field("revision", revision)
            writer.field("role", role.rawValue)
            writer.field("status", status.rawValue)
            writer.field("vin", vin.text)
        }
    }

    init(canonical reader: inout CanonicalJSON.Reader) throws {
        self = try reader.object { reader in
            try reader.key("formFactor")
            let formFactor = try reader.rawValue(FormFactor.self)
            try reader.key("grantedAtUnixMs")
            let grantedAt = try reader.int()
            try reader.key("grantedBy")
            let grantedBy = try Principal(canonical: &reader)
            try reader.key("keyID")
            let keyID = try reader.domainString(KeyID.self)
            let notAfter = try reader.optionalInt("notAfterUnixMs")
            let notBefore = try reader.optionalInt("notBeforeUnixMs")
            try reader.key("permissions")
            let permissions = try Permissions(canonical: &reader)
            try reader.key("publicKey")
            let publicKey = try KeyPublicKey(canonical: &reader)
            try reader.key("revision")
            let revision = try reader.uint()
            try reader.key("role")
            let role = try reader.rawValue(Role.self)
            try reader.key("status")
            let status = try reader.rawValue(GrantStatus.self)
            try reader.key("vin")
            return Grant(
                vin: try reader.domainString(VIN.self), keyID: keyID, publicKey: publicKey, formFactor: formFactor,
                role: role,
                permissions: permissions, notBeforeUnixMs: notBefore, notAfterUnixMs: notAfter, grantedBy: grantedBy,
                grantedAtUnixMs: grantedAt, revision: revision, status: status)
        }
    }
}

extension StoredAuditRecord: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSON.Writer) {
        writer.object { writer in
            writer.field("action", action.rawValue)
            writer.field("actor", actor)
            if let grant { writer.field("grant", grant) }
            writer.field("reason", reason)
            writer.field("revision", revision)
            writer.field("target", target.text)
            writer.field("timestampUnixMs", timestampUnixMs)
        }
    }
}

extension DomainCommand.KeySignature: CanonicalJSONWritable, CanonicalJSONReadable {
    func write(to writer: inout CanonicalJSON.Writer) {
        writer.object { writer in
            writer.field("decidedAtUnixMs", decidedAtUnixMs)
            writer.field("keyID", keyID.text)
            writer.field("nonce", nonce.text)
            writer.field("timestampUnixMs", timestampUnixMs)
        }
    }

    init(canonical reader: inout CanonicalJSON.Reader) throws {
        self = try reader.object { reader in
            try reader.key("decidedAtUnixMs")
            let decidedAt = try reader.int()
            try reader.key("keyID")
            let keyID = try reader.domainString(KeyID.self)
            try reader.key("nonce")
            let nonce = try reader.domainString(Nonce.self)
            try reader.key("timestampUnixMs")
            return .init(keyID: keyID, nonce: nonce, timestampUnixMs: try reader.int(), decidedAtUnixMs: decidedAt)
        }
    }
}

extension DomainCommand: CanonicalJSONWritable, CanonicalJSONReadable {
    func write(to writer: inout CanonicalJSON.Writer) {
        switch self {
        case .registerVehicle(let register):
            writer.wrapped("registerVehicle") { writer in
                writer.key("_0")
                writer.object { writer in
                    writer.field("operatorName", register.operatorName.text)
                    writer.field("ownerFormFactor", register.ownerFormFactor.rawValue)
                    writer.field("ownerKey", register.ownerKey)
                    writer.field("timestampUnixMs", register.timestampUnixMs)
                    writer.field("vin", register.vin.text)
                }
            }
        case .grant(let grant):
            writer.wrapped("grant") { writer in
                writer.key("_0")
                writer.object { writer in
                    writer.field("formFactor", grant.formFactor.rawValue)
                    writer.field("notAfterUnixMs", grant.notAfterUnixMs)
                    writer.field("notBeforeUnixMs", grant.notBeforeUnixMs)
                    if let permissions = grant.permissions { writer.field("permissions", permissions) }
                    writer.field("publicKey", grant.publicKey)
                    writer.field("role", grant.role.rawValue)
                    writer.field("signer", grant.signer)
                    writer.field("vin", grant.vin.text)
                }
            }
        case .revoke(let change): Self.write(change, as: "revoke", to: &writer)
        case .suspend(let change): Self.write(change, as: "suspend", to: &writer)
        case .resume(let change): Self.write(change, as: "resume", to: &writer)
        case .forceRevoke(let force):
            writer.wrapped("forceRevoke") { writer in
                writer.key("_0")
                writer.object { writer in
                    writer.field("operatorName", force.operatorName.text)
                    writer.field("target", force.target.text)
                    writer.field("timestampUnixMs", force.timestampUnixMs)
                    writer.field("vin", force.vin.text)
                }
            }
        case .recoverOwnership(let recover):
            writer.wrapped("recoverOwnership") { writer in
                writer.key("_0")
                writer.object { writer in
                    writer.field("operatorName", recover.operatorName.text)
                    writer.field("ownerFormFactor", recover.ownerFormFactor.rawValue)
                    writer.field("ownerKey", recover.ownerKey)
                    writer.field("reason", recover.reason)
                    writer.field("timestampUnixMs", recover.timestampUnixMs)
                    writer.field("vin", recover.vin.text)
                }
            }
        }
    }

    private static func write(_ change: ChangeKey, as name: StaticString, to writer: inout CanonicalJSON.Writer) {
        writer.wrapped(name) { writer in
            writer.key("_0")
            writer.object { writer in
                writer.field("signer", change.signer)
                writer.field("target", change.target.text)
                writer.field("vin", change.vin.text)
            }
        }
    }

    /// The key actions, which are most commands; an operator's command is read by `JSONDecoder`.
    init(canonical reader: inout CanonicalJSON.Reader) throws {
        let name = try reader.caseName()
        self = try reader.object { reader in
            try reader.key("_0")
            switch name {
            case "grant": return .grant(try Self.readGrant(&reader))
            case "revoke": return .revoke(try Self.readChange(&reader))
            case "suspend": return .suspend(try Self.readChange(&reader))
            case "resume": return .resume(try Self.readChange(&reader))
            default: throw CanonicalJSON.Mismatch()
            }
        }
        try reader.endCase()
    }

    private static func readGrant(_ reader: inout CanonicalJSON.Reader) throws -> GrantKey {
        try reader.object { reader in
            try reader.key("formFactor")
            let formFactor = try reader.rawValue(FormFactor.self)
            let notAfter = try reader.optionalInt("notAfterUnixMs")
            let notBefore = try reader.optionalInt("notBeforeUnixMs")
            var permissions: Permissions?
            if reader.optionalKey("permissions") { permissions = try Permissions(canonical: &reader) }
            try reader.key("publicKey")
            let publicKey = try KeyPublicKey.command(&reader)
            try reader.key("role")
            let role = try reader.rawValue(Role.self)
            try reader.key("signer")
            let signer = try KeySignature(canonical: &reader)
            try reader.key("vin")
            return GrantKey(
                vin: try reader.domainString(VIN.self), signer: signer, publicKey: publicKey, formFactor: formFactor,
                role: role,
                permissions: permissions, notBeforeUnixMs: notBefore, notAfterUnixMs: notAfter)
        }
    }

    private static func readChange(_ reader: inout CanonicalJSON.Reader) throws -> ChangeKey {
        try reader.object { reader in
            try reader.key("signer")
            let signer = try KeySignature(canonical: &reader)
            try reader.key("target")
            let target = try reader.domainString(KeyID.self)
            try reader.key("vin")
            return ChangeKey(vin: try reader.domainString(VIN.self), signer: signer, target: target)
        }
    }
}

extension DomainResult: CanonicalJSONWritable, CanonicalJSONReadable {
    func write(to writer: inout CanonicalJSON.Writer) {
        switch self {
        case .applied(let revision, let grant):
            Self.writeApplied(revision: revision, to: &writer) { grant.write(to: &$0) }
        case .refused(let refusal):
            writer.wrapped("refused") { writer in
                writer.key("_0")
                writer.object { writer in
                    writer.field("code", refusal.code.rawValue)
                    writer.field("reason", refusal.reason)
                }
            }
        }
    }

    /// `applied`, with the grant written by `grant`: its stored bytes, spliced (see `ServiceResult.encoded`).
    static func writeApplied(
        revision: UInt64, to writer: inout CanonicalJSON.Writer, grant: (inout CanonicalJSON.Writer) -> Void
    ) {
        writer.wrapped("applied") { writer in
            writer.key("grant")
            grant(&writer)
            writer.field("revision", revision)
        }
    }

    /// The applied answer, which the proposer reads on every accepted change; a refusal is read by `JSONDecoder`.
    init(canonical reader: inout CanonicalJSON.Reader) throws {
        guard try reader.caseName() == "applied" else { throw CanonicalJSON.Mismatch() }
        self = try reader.object { reader in
            try reader.key("grant")
            let grant = try Grant(canonical: &reader)
            try reader.key("revision")
            return .applied(revision: try reader.uint(), grant: grant)
        }
        try reader.endCase()
    }
}
