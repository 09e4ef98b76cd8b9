import Foundation

/// The key-authorization calls, over a `ClusterClient` (failover included): what the CLI and the demo use,
/// and what a phone app or a fleet back end would do.
extension ClusterClient {
    /// Operator: enrolls `vin` with its first owner key. Needs an HTTP client with an operator certificate.
    public func registerVehicle(_ vin: VIN, owner: KeyPublicKey, formFactor: FormFactor = .phone) async throws
        -> KeyChange
    {
        let body = try JSONSerialization.data(withJSONObject: [
            "vin": vin.text, "ownerPublicKey": Data(owner.x963).base64EncodedString(),
            "ownerFormFactor": formFactor.rawValue,
        ])
        return try await withFailover { try await $0.post("/v1/vehicles", body: Array(body), as: KeyChange.self) }
    }

    /// Operator: gives `vin` a new unrestricted owner key (a lost phone, an owner removed by force), with the
    /// reason the audit keeps.
    public func recoverOwnership(_ vin: VIN, owner: KeyPublicKey, formFactor: FormFactor = .phone, reason: String)
        async throws -> KeyChange
    {
        let body = try JSONSerialization.data(withJSONObject: [
            "ownerPublicKey": Data(owner.x963).base64EncodedString(), "ownerFormFactor": formFactor.rawValue,
            "reason": reason,
        ])
        return try await withFailover {
            try await $0.post("/v1/vehicles/\(vin.text)/recover-owner", body: Array(body), as: KeyChange.self)
        }
    }

    /// What a grant gives: a role, optionally narrower permissions than the role's defaults, and a window
    /// (a guest needs `notAfterUnixMs`).
    public struct GrantTerms: Sendable {
        public var role: Role
        public var formFactor: FormFactor
        public var permissions: [Permission]?
        public var notBeforeUnixMs: Int64?
        public var notAfterUnixMs: Int64?

        public init(
            role: Role, formFactor: FormFactor = .phone, permissions: [Permission]? = nil,
            notBeforeUnixMs: Int64? = nil,
            notAfterUnixMs: Int64? = nil
        ) {
            self.role = role
            self.formFactor = formFactor
            self.permissions = permissions
            self.notBeforeUnixMs = notBeforeUnixMs
            self.notAfterUnixMs = notAfterUnixMs
        }
    }

    /// Owner `signer` grants `key` access to `vin` on `terms`.
    public func grant(
        _ key: KeyPublicKey, _ terms: GrantTerms, on vin: VIN, signedBy signer: KeyHolder, minRevision: UInt64 = 0
    ) async throws -> KeyChange {
        var fields: [String: Any] = [
            "publicKey": Data(key.x963).base64EncodedString(), "formFactor": terms.formFactor.rawValue,
            "role": terms.role.rawValue,
        ]
        if let permissions = terms.permissions { fields["permissions"] = permissions.map(\.rawValue) }
        if let notBefore = terms.notBeforeUnixMs { fields["notBeforeUnixMs"] = notBefore }
        if let notAfter = terms.notAfterUnixMs { fields["notAfterUnixMs"] = notAfter }
        let body = Array(try JSONSerialization.data(withJSONObject: fields))
        return try await signedPost(
            "/v1/vehicles/\(vin.text)/keys?minRevision=\(minRevision)", vin: vin, command: "grant", body: body,
            signer: signer)
    }

    /// Owner `signer` grants `key` a `role` on `vin` with the role's default permissions.
    public func grant(
        _ key: KeyPublicKey, role: Role, on vin: VIN, signedBy signer: KeyHolder, notAfterUnixMs: Int64? = nil,
        minRevision: UInt64 = 0
    ) async throws -> KeyChange {
        try await grant(
            key, GrantTerms(role: role, notAfterUnixMs: notAfterUnixMs), on: vin, signedBy: signer,
            minRevision: minRevision)
    }

    /// A change an owner signs on another key's grant.
    public enum KeyAction: String, Sendable, CaseIterable {
        case revoke, suspend, resume
    }

    /// Owner `signer` revokes (or suspends, resumes) `target`'s grant on `vin`.
    public func change(
        _ action: KeyAction, _ target: KeyID, on vin: VIN, signedBy signer: KeyHolder, minRevision: UInt64 = 0
    ) async throws -> KeyChange {
        try await signedPost(
            "/v1/vehicles/\(vin.text)/keys/\(target.text)/\(action.rawValue)?minRevision=\(minRevision)", vin: vin,
            command: action.rawValue,
            body: [], signer: signer)
    }

    /// Operator: revokes `target`'s grant on `vin` without the owner (an operator client certificate).
    public func forceRevoke(_ target: KeyID, on vin: VIN) async throws -> KeyChange {
        try await withFailover {
            try await $0.post("/v1/vehicles/\(vin.text)/keys/\(target.text)/force-revoke", as: KeyChange.self)
        }
    }

    /// Asks for `command` on `vin` as `holder`; returns the signed token (verify it with `UnlockTokenVerifier`).
    /// With `acceptingBounded`, a member whose state is known fresh decides without the read round through
    /// the leader (the token then says `bounded`).
    public func command(
        _ command: Permission, on vin: VIN, as holder: KeyHolder, minRevision: UInt64 = 0,
        acceptingBounded: Bool = false
    ) async throws -> SignedDocument {
        let path =
            "/v1/vehicles/\(vin.text)/commands?minRevision=\(minRevision)"
            + (acceptingBounded ? "&consistency=bounded" : "")
        let body = Array("{\"command\":\"\(command.rawValue)\"}".utf8)
        return try await withFailover { member in
            // Each try is signed afresh: a new nonce and timestamp, so a retry is never a replay.
            let headers = try holder.signatureHeaders(
                method: "POST", path: path, vin: vin, command: command.rawValue, body: body,
                nowUnixMs: WallClock.nowUnixMs())
            return try await member.send(.POST, path, body: body, headers: headers, as: SignedDocument.self)
        }
    }

    /// The vehicle and its live grants (a key holder other than an owner sees its own grant only), from a
    /// member that has applied `minRevision`. `reader`: the key holder signing the read; nil reads with this
    /// client's operator certificate (anonymous reads are refused).
    public func vehicle(_ vin: VIN, as reader: KeyHolder? = nil, minRevision: UInt64 = 0) async throws -> VehicleView {
        try await read("/v1/vehicles/\(vin.text)?minRevision=\(minRevision)", of: vin, as: reader)
    }

    /// Up to `limit` audit records of `vin` after revision `after`, oldest first (owners and operators).
    public func audit(
        _ vin: VIN, as reader: KeyHolder? = nil, after: UInt64 = 0, limit: Int = DomainLimits.maxAuditPageSize,
        minRevision: UInt64 = 0
    ) async throws -> AuditPage {
        precondition(
            (1...DomainLimits.maxAuditPageSize).contains(limit),
            "an audit page holds 1–\(DomainLimits.maxAuditPageSize) records")
        return try await read(
            "/v1/vehicles/\(vin.text)/audit?after=\(after)&limit=\(limit)&minRevision=\(minRevision)", of: vin,
            as: reader)
    }

    /// The vehicle's signed key list (verify it with `UnlockTokenVerifier.verifyKeyList`): for drivers,
    /// owners and operators.
    public func keyList(_ vin: VIN, as reader: KeyHolder? = nil, minRevision: UInt64 = 0) async throws -> SignedDocument
    {
        try await read("/v1/vehicles/\(vin.text)/key-list?minRevision=\(minRevision)", of: vin, as: reader)
    }

    /// A GET signed by `reader` (command `read`; each try signed afresh), or plain with the operator
    /// certificate when `reader` is nil.
    private func read<Answer: Decodable & Sendable>(_ path: String, of vin: VIN, as reader: KeyHolder?) async throws
        -> Answer
    {
        try await withFailover { member in
            let headers =
                try reader?.signatureHeaders(
                    method: "GET", path: path, vin: vin, command: "read", body: [], nowUnixMs: WallClock.nowUnixMs())
                ?? []
            return try await member.send(.GET, path, body: nil, headers: headers, as: Answer.self)
        }
    }

    private func signedPost(_ path: String, vin: VIN, command: String, body: [UInt8], signer: KeyHolder) async throws
        -> KeyChange
    {
        try await withFailover { member in
            let headers = try signer.signatureHeaders(
                method: "POST", path: path, vin: vin, command: command, body: body, nowUnixMs: WallClock.nowUnixMs())
            return try await member.send(.POST, path, body: body, headers: headers, as: KeyChange.self)
        }
    }
}
