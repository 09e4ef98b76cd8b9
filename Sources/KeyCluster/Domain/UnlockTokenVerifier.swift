import Crypto
import Foundation
import SwiftASN1
import X509

/// What a vehicle runs to check a node-signed document offline, holding only the cluster CA certificate
/// and its own VIN. Depends on swift-crypto and swift-certificates only (no cluster, storage or network),
/// so it can ship to a vehicle as it is.
///
/// Checks, in order: sizes are bounded; the node certificate is signed by the CA, valid now, not a CA, and
/// names the issuing node; the document's signature is by the certificate's key; then the claims.
public struct UnlockTokenVerifier: Sendable {
    /// Every CA trusted: during a CA rotation the vehicle holds the old and the new one side by side.
    let cas: [Certificate]

    public init(caCertificate: Certificate) {
        cas = [caCertificate]
    }

    public init(caCertificates: [Certificate]) {
        precondition(!caCertificates.isEmpty, "a verifier trusts at least one CA")
        cas = caCertificates
    }

    public init(caCertificateDER: [UInt8]) throws {
        cas = [try Certificate(derEncoded: caCertificateDER)]
    }

    /// Trusts every certificate of a PEM bundle (one or more `CERTIFICATE` blocks, in any order).
    public init(caBundlePEM: String) throws(CABundleError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: caBundlePEM)
        } catch {
            throw .notPEM
        }
        var certificates: [Certificate] = []
        for (index, document) in documents.enumerated() {
            guard document.discriminator == "CERTIFICATE",
                let certificate = try? Certificate(derEncoded: document.derBytes)
            else {
                throw .notACertificate(block: index + 1)
            }
            certificates.append(certificate)
        }
        guard !certificates.isEmpty else { throw .notPEM }
        cas = certificates
    }

    /// Reads and trusts the PEM bundle at `path`.
    public init(caBundleFile path: String) throws(CABundleError) {
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else { throw .unreadable(path) }
        try self.init(caBundlePEM: pem)
    }

    /// The token's claims, if it is a valid, unexpired decision for `command` on `vin` — and, given the
    /// vehicle's current key list, not signed with a certificate the list names as withdrawn.
    public func verifyUnlockToken(
        _ document: SignedDocument, vin: VIN, command: Permission, nowUnixMs: Int64, keyList: VehicleKeyList? = nil
    ) throws(TokenVerificationError) -> UnlockToken {
        let (token, signer) = try verifiedClaims(
            document, as: .unlockToken, decoding: UnlockToken.self, nowUnixMs: nowUnixMs)
        if let withdrawn = keyList?.withdrawnSigners, withdrawn.contains(signer.fingerprint) { throw .signerWithdrawn }
        guard token.vin == vin else { throw .wrongVehicle }
        guard token.command == command else { throw .wrongCommand }
        guard token.expiresAtUnixMs - token.issuedAtUnixMs <= DomainLimits.maxTokenLifetimeSeconds * 1000,
            token.issuedAtUnixMs < token.expiresAtUnixMs
        else { throw .invalidLifetime }
        guard token.issuedAtUnixMs - DomainLimits.maxClockSkewMs <= nowUnixMs else { throw .notYetValid }
        guard nowUnixMs < token.expiresAtUnixMs else { throw .expired }
        return token
    }

    /// The key list, if it is validly signed for `vin`, still good (`validUntilUnixMs`, at most
    /// `DomainLimits.keyListLifetimeSeconds` after issue and never past its signing certificate), not signed
    /// with a certificate it names as withdrawn, and newer than `cached` — the list the vehicle holds (nil for
    /// none). Once the cached list's own validity has ended, any valid list replaces it whatever its revision:
    /// a list forged with a stolen signing key, claiming a huge revision, pins a vehicle for at most its
    /// validity, not for ever.
    public func verifyKeyList(
        _ document: SignedDocument, vin: VIN, cached: VehicleKeyList? = nil, nowUnixMs: Int64
    ) throws(TokenVerificationError) -> VehicleKeyList {
        let (list, signer) = try verifiedClaims(
            document, as: .vehicleKeyList, decoding: VehicleKeyList.self, nowUnixMs: nowUnixMs)
        guard list.vin == vin else { throw .wrongVehicle }
        guard let validUntil = list.validUntilUnixMs, list.issuedAtUnixMs < validUntil,
            validUntil - list.issuedAtUnixMs <= DomainLimits.keyListLifetimeSeconds * 1000,
            validUntil <= signer.notValidAfterUnixMs
        else { throw .invalidLifetime }
        guard list.issuedAtUnixMs - DomainLimits.maxClockSkewMs <= nowUnixMs else { throw .notYetValid }
        guard nowUnixMs < validUntil else { throw .expired }
        guard (list.withdrawnSigners?.count ?? 0) <= DomainLimits.maxWithdrawnSigners else {
            throw .malformed("too many withdrawn signers")
        }
        if let withdrawn = list.withdrawnSigners, withdrawn.contains(signer.fingerprint) { throw .signerWithdrawn }
        if let cached, let cachedUntil = cached.validUntilUnixMs, nowUnixMs < cachedUntil,
            list.revision <= cached.revision
        {
            throw .staleRevision
        }
        return list
    }

    private func verifiedClaims<Claims: NodeSignedClaims>(
        _ document: SignedDocument, as kind: SignedDocument.Kind, decoding: Claims.Type, nowUnixMs: Int64
    ) throws(TokenVerificationError) -> (Claims, NodeKey) {
        guard document.kind == kind else { throw .wrongKind }
        guard document.payload.utf8.count <= Self.base64Length(of: DomainLimits.maxSignedPayloadBytes),
            document.certificate.utf8.count <= Self.base64Length(of: DomainLimits.maxCertificateBytes),
            document.signature.utf8.count <= DomainLimits.maxSignatureBase64Length
        else { throw .malformed("a field is larger than any valid document's") }
        guard let payload = Data(base64Encoded: document.payload),
            let certificateDER = Data(base64Encoded: document.certificate),
            let signatureDER = Data(base64Encoded: document.signature),
            let signature = try? P256.Signing.ECDSASignature(derRepresentation: signatureDER)
        else { throw .malformed("payload, certificate or signature is not valid base64 of its format") }

        let nodeKey = try verifiedNodeKey(certificateDER: Array(certificateDER), nowUnixMs: nowUnixMs)
        guard
            nodeKey.key.isValidSignature(
                signature, for: SignedDocument.signedBytes(kind: kind, payload: Array(payload)))
        else {
            throw .badSignature
        }
        let claims: Claims
        do {
            claims = try JSONDecoder().decode(Claims.self, from: payload)
        } catch {
            throw .malformed("signed payload does not decode")
        }
        guard nodeKey.names(node: claims.issuingNode) else { throw .certificateNotForIssuingNode }
        return (claims, nodeKey)
    }

    /// The certificate's key, once the certificate is shown to be a current, non-CA certificate from the CA.
    private func verifiedNodeKey(certificateDER: [UInt8], nowUnixMs: Int64) throws(TokenVerificationError) -> NodeKey {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: certificateDER)
        } catch {
            throw .malformed("certificate is not DER X.509")
        }
        guard
            cas.contains(where: { ca in
                certificate.issuer == ca.subject
                    && ca.publicKey.isValidSignature(certificate.signature, for: certificate)
            })
        else { throw .untrustedCertificate }
        let now = Date(timeIntervalSince1970: Double(nowUnixMs) / 1000)
        guard certificate.notValidBefore <= now, now <= certificate.notValidAfter else { throw .certificateNotCurrent }
        let constraints: BasicConstraints?
        let alternativeNames: SubjectAlternativeNames?
        do {
            constraints = try certificate.extensions.basicConstraints
            alternativeNames = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw .malformed("certificate extensions do not parse")
        }
        if case .isCertificateAuthority = constraints { throw .untrustedCertificate }
        // Only a token-signing certificate signs tokens and key lists — never a member's TLS certificate,
        // whose key sits on every TLS endpoint and lives a year.
        guard TokenSigningUsage.marks(certificate) else { throw .notATokenSigningCertificate }
        // A signing certificate lives days: one issued for longer would make a stolen key worth that long.
        guard
            certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore)
                <= Double(TokenSigningUsage.maxValiditySeconds + TokenSigningUsage.issuanceSkewAllowanceSeconds)
        else { throw .signingCertificateTooLong }
        guard let key = P256.Signing.PublicKey(certificate.publicKey) else { throw .untrustedCertificate }
        let uris = (alternativeNames ?? SubjectAlternativeNames()).compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name { uri } else { nil }
        }
        return NodeKey(
            key: key, uris: uris, fingerprint: TokenSigningUsage.fingerprint(ofDER: certificateDER),
            notValidAfterUnixMs: Int64(certificate.notValidAfter.timeIntervalSince1970 * 1000))
    }

    /// A verified node certificate's key and the URIs it names.
    private struct NodeKey {
        let key: P256.Signing.PublicKey
        let uris: [String]
        let fingerprint: String
        let notValidAfterUnixMs: Int64

        /// Whether the certificate names `node` in the cluster's form (`ClusterIdentity.node(_:).uri`), so an
        /// operator's certificate from the same CA cannot sign decisions.
        func names(node: UInt64) -> Bool { uris.contains("urn:keycluster:node:\(node)") }
    }

    private static func base64Length(of byteCount: Int) -> Int { (byteCount + 2) / 3 * 4 }
}

/// Why a CA bundle could not be loaded.
public enum CABundleError: Error, Hashable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case notPEM
    case notACertificate(block: Int)

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read the CA file \(path)"
        case .notPEM: "the CA file holds no PEM certificate"
        case .notACertificate(let block): "PEM block \(block) of the CA file is not an X.509 certificate"
        }
    }
}

public enum TokenVerificationError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String)
    case wrongKind
    case untrustedCertificate
    case certificateNotCurrent
    case certificateNotForIssuingNode
    case notATokenSigningCertificate
    /// The signing certificate is valid for longer than `TokenSigningUsage.maxValiditySeconds`.
    case signingCertificateTooLong
    /// The vehicle's key list names the signing certificate as withdrawn.
    case signerWithdrawn
    case badSignature
    case wrongVehicle
    case wrongCommand
    case invalidLifetime
    case notYetValid
    case expired
    case staleRevision
    /// Another token for the same signed request was already acted on (`UsedRequestLedger`).
    case requestAlreadyUsed
    /// The vehicle's ledger is full of requests still in their window: refused rather than forgotten.
    case tooManyRecentRequests

    public var description: String {
        switch self {
        case .malformed(let problem): "malformed document: \(problem)"
        case .wrongKind: "document is not of the expected kind"
        case .untrustedCertificate: "certificate is not a node certificate issued by the cluster CA"
        case .certificateNotCurrent: "certificate is not valid at this time"
        case .certificateNotForIssuingNode: "certificate does not name the node the document says issued it"
        case .notATokenSigningCertificate:
            "certificate is not a token-signing certificate (a TLS certificate never signs tokens)"
        case .signingCertificateTooLong: "the signing certificate is valid for longer than a signing certificate may be"
        case .signerWithdrawn: "the signing certificate was withdrawn (named in the vehicle's key list)"
        case .badSignature: "signature does not verify with the certificate's key"
        case .wrongVehicle: "document is for another vehicle"
        case .wrongCommand: "token is for another command"
        case .invalidLifetime: "token lifetime exceeds the allowed maximum"
        case .notYetValid: "token is issued in the future"
        case .expired: "token has expired"
        case .staleRevision: "key list is not newer than the cached one"
        case .requestAlreadyUsed: "a token for this request was already used"
        case .tooManyRecentRequests: "too many recent requests to remember another; retry shortly"
        }
    }
}
