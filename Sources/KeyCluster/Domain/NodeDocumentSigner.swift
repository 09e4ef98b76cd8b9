import ClusterIdentity
import Crypto
import Foundation
import RaftCore
import SwiftASN1
import X509

/// Signs unlock tokens and key lists with this node's key; its certificate travels with each document.
public struct NodeDocumentSigner: Sendable {
    public let nodeID: UInt64
    let certificateBase64: String
    /// `TokenSigningUsage.fingerprint` of the certificate: what a withdrawal of it names.
    public let fingerprint: String
    /// The certificate's end: no key list it signs is good past it.
    public let notValidAfterUnixMs: Int64
    /// X509's key type rather than Crypto's: it is `Sendable`, and signs ECDSA with a DER result.
    let privateKey: Certificate.PrivateKey

    public enum SignerError: Error, Hashable, Sendable {
        case keyDoesNotMatchCertificate
        case notAP256Key
    }

    public init(nodeID: UInt64, certificate: Certificate, privateKey: Certificate.PrivateKey) throws {
        guard certificate.publicKey == privateKey.publicKey else { throw SignerError.keyDoesNotMatchCertificate }
        guard P256.Signing.PublicKey(certificate.publicKey) != nil else { throw SignerError.notAP256Key }
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        self.nodeID = nodeID
        certificateBase64 = Data(serializer.serializedBytes).base64EncodedString()
        fingerprint = TokenSigningUsage.fingerprint(ofDER: serializer.serializedBytes)
        notValidAfterUnixMs = Int64(certificate.notValidAfter.timeIntervalSince1970 * 1000)
        self.privateKey = privateKey
    }

    /// A signer for a node credential from `CertificateIssuer`.
    public init(nodeID: UInt64, credential: IssuedCredential) throws {
        try self.init(nodeID: nodeID, certificate: credential.certificate, privateKey: credential.privateKey)
    }

    /// A token for an allowed decision, valid from `nowUnixMs` for `lifetimeSeconds` (at most
    /// `maxTokenLifetimeSeconds`). `revision` is the applied revision of the state the decision was read from.
    public func unlockToken(
        for grant: Grant, command: Permission, nonce: Nonce, nowUnixMs: Int64, revision: UInt64,
        consistency: ReadConsistency, lifetimeSeconds: Int64 = DomainLimits.defaultTokenLifetimeSeconds
    ) throws -> SignedDocument {
        precondition(
            (1...DomainLimits.maxTokenLifetimeSeconds).contains(lifetimeSeconds), "token lifetime out of bounds")
        // A token is issued only for an allowed decision (`AuthorizationDecision.allowed`): anything else is a bug
        // that would let a vehicle act on a denial.
        precondition(
            grant.status == .active && grant.permissions.contains(command),
            "token for a grant that does not allow \(command)")
        precondition(DomainLimits.isValidTimestamp(nowUnixMs), "node clock outside 1970–9999")
        let token = UnlockToken(
            vin: grant.vin, keyID: grant.keyID, command: command, nonce: nonce, issuedAtUnixMs: nowUnixMs,
            expiresAtUnixMs: nowUnixMs + lifetimeSeconds * 1000, revision: revision, consistency: consistency,
            issuingNode: nodeID)
        return try sign(token, as: .unlockToken)
    }

    /// The signed key list of `vehicle`: its active grants, versioned by the vehicle's revision. `grants`
    /// are the vehicle's live grants (`KeyAuthorizationStore.grants(of:in:)`, read with the vehicle).
    /// `withdrawnSigners` are the fingerprints of signing certificates withdrawn early (the cluster's
    /// replicated list, at most `DomainLimits.maxWithdrawnSigners`); the list is good for
    /// `DomainLimits.keyListLifetimeSeconds`, but never past this signer's certificate.
    public func keyList(
        vehicle: Vehicle, grants: [Grant], nowUnixMs: Int64, readAt readRevision: UInt64, consistency: ReadConsistency,
        withdrawnSigners: [String] = []
    ) throws -> SignedDocument {
        assert(grants.allSatisfy { $0.vin == vehicle.vin }, "grants of another vehicle")
        precondition(withdrawnSigners.count <= DomainLimits.maxWithdrawnSigners, "withdrawn signers beyond the bound")
        let list = VehicleKeyList(
            vin: vehicle.vin, revision: vehicle.revision, issuedAtUnixMs: nowUnixMs, issuingNode: nodeID,
            keys: grants.filter { $0.status == .active }.map(VehicleKeyList.Entry.init), readRevision: readRevision,
            consistency: consistency,
            validUntilUnixMs: min(nowUnixMs + DomainLimits.keyListLifetimeSeconds * 1000, notValidAfterUnixMs),
            withdrawnSigners: withdrawnSigners.sorted())
        return try sign(list, as: .vehicleKeyList)
    }

    /// Internal rather than private so tests can sign claims the public functions would never make.
    func sign(_ claims: some NodeSignedClaims, as kind: SignedDocument.Kind) throws -> SignedDocument {
        let payload = try DomainCoding.encode(claims)
        assert(payload.count <= DomainLimits.maxSignedPayloadBytes, "signed payload larger than verifiers accept")
        let signature = try privateKey.sign(
            bytes: SignedDocument.signedBytes(kind: kind, payload: payload), signatureAlgorithm: .ecdsaWithSHA256)
        // For ECDSA, X509's raw representation is the DER encoding.
        return SignedDocument(
            kind: kind, payload: Data(payload).base64EncodedString(),
            signature: Data(signature.rawRepresentation).base64EncodedString(), certificate: certificateBase64)
    }
}

/// Kept beside the signer, not in `VehicleKeyList.swift`, so the types the verifier needs never mention a
/// `Grant` (and what it depends on).
extension VehicleKeyList.Entry {
    init(_ grant: Grant) {
        assert(grant.status == .active, "a key list holds active grants only")
        self.init(
            keyID: grant.keyID, publicKey: grant.publicKey, formFactor: grant.formFactor, role: grant.role,
            permissions: grant.permissions, notBeforeUnixMs: grant.notBeforeUnixMs, notAfterUnixMs: grant.notAfterUnixMs
        )
    }
}
