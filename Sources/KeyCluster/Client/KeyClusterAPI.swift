import Foundation

/// The key-authorization calls, over a `ClusterClient` (failover included): what the CLI and the demo use,
/// and what a phone app or a fleet back end would do.
extension ClusterClient {
    struct Change: Decodable, Sendable { var revision: UInt64 }

    /// Operator: enrolls `vin` with its first owner key. Needs an HTTP client with an operator certificate.
    public func registerVehicle(_ vin: VIN, owner: KeyPublicKey, formFactor: FormFactor = .phone) async throws -> UInt64 {
        let body = try JSONSerialization.data(withJSONObject: [
            "vin": vin.text, "ownerPublicKey": Data(owner.x963).base64EncodedString(), "ownerFormFactor": formFactor.rawValue,
        ])
        return try await withFailover { try await $0.post("/v1/vehicles", body: Array(body), as: Change.self).revision }
    }

    /// Owner `signer` grants `key` a `role` on `vin` (a guest needs `notAfterUnixMs`).
    public func grant(
        _ key: KeyPublicKey, role: Role, on vin: VIN, signedBy signer: KeyHolder, notAfterUnixMs: Int64? = nil, minRevision: UInt64 = 0
    ) async throws -> UInt64 {
        var fields: [String: Any] = ["publicKey": Data(key.x963).base64EncodedString(), "formFactor": FormFactor.phone.rawValue, "role": role.rawValue]
        if let notAfterUnixMs { fields["notAfterUnixMs"] = notAfterUnixMs }
        let body = Array(try JSONSerialization.data(withJSONObject: fields))
        return try await signedPost("/v1/vehicles/\(vin.text)/keys?minRevision=\(minRevision)", vin: vin, command: "grant", body: body, signer: signer)
    }

    /// Owner `signer` revokes (or suspends, resumes) `target`'s grant on `vin`.
    public func change(_ action: String, _ target: KeyID, on vin: VIN, signedBy signer: KeyHolder, minRevision: UInt64 = 0) async throws -> UInt64 {
        try await signedPost("/v1/vehicles/\(vin.text)/keys/\(target.text)/\(action)?minRevision=\(minRevision)", vin: vin, command: action, body: [], signer: signer)
    }

    /// Asks for `command` on `vin` as `holder`; returns the signed token (verify it with `UnlockTokenVerifier`).
    public func command(_ command: Permission, on vin: VIN, as holder: KeyHolder, minRevision: UInt64 = 0) async throws -> SignedDocument {
        let path = "/v1/vehicles/\(vin.text)/commands?minRevision=\(minRevision)"
        let body = Array("{\"command\":\"\(command.rawValue)\"}".utf8)
        return try await withFailover { member in
            // Each try is signed afresh: a new nonce and timestamp, so a retry is never a replay.
            let headers = try holder.signatureHeaders(method: "POST", path: path, vin: vin, command: command.rawValue, body: body, nowUnixMs: WallClock.nowUnixMs())
            return try await member.send(.POST, path, body: body, headers: headers, as: SignedDocument.self)
        }
    }

    private func signedPost(_ path: String, vin: VIN, command: String, body: [UInt8], signer: KeyHolder) async throws -> UInt64 {
        try await withFailover { member in
            let headers = try signer.signatureHeaders(method: "POST", path: path, vin: vin, command: command, body: body, nowUnixMs: WallClock.nowUnixMs())
            return try await member.send(.POST, path, body: body, headers: headers, as: Change.self).revision
        }
    }
}
