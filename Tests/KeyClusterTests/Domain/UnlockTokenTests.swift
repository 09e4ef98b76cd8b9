import ClusterIdentity
import Crypto
import Foundation
import Testing
import X509

@testable import KeyCluster

/// A cluster CA, a node's signer, and the verifier a vehicle would hold — all at a fixed time.
struct TokenFixture {
    static let now: Int64 = 1_800_000_000_000
    static let certificateTime = Date(timeIntervalSince1970: Double(now) / 1000)
    let nodeID: UInt64 = 7
    let ca: CertificateIssuer
    let signer: NodeDocumentSigner
    let verifier: UnlockTokenVerifier
    let vin: VIN
    let key = TestKey()

    init() throws {
        ca = try CertificateIssuer.makeCA(now: Self.certificateTime)
        signer = try NodeDocumentSigner(
            nodeID: nodeID, credential: ca.issueTokenSigner(id: nodeID, now: Self.certificateTime))
        verifier = UnlockTokenVerifier(caCertificate: ca.ca.certificate)
        vin = try VIN(validating: "1HGCM82633A004352")
    }

    var grant: Grant {
        get throws {
            Grant(
                vin: vin, publicKey: key.publicKey, formFactor: .phone, role: .driver, permissions: [.unlock, .lock],
                notBeforeUnixMs: nil, notAfterUnixMs: nil, grantedBy: .operator(try OperatorName(validating: "ops")),
                grantedAtUnixMs: 0, revision: 41, status: .active)
        }
    }

    func token(by signer: NodeDocumentSigner? = nil, command: Permission = .unlock) throws -> SignedDocument {
        try (signer ?? self.signer).unlockToken(
            for: grant, command: command, nonce: Nonce(validating: "vehicle-challenge-01"), nowUnixMs: Self.now,
            revision: 42,
            consistency: .strict)
    }

    func verify(_ document: SignedDocument, vin: VIN? = nil, command: Permission = .unlock, at time: Int64 = now) throws
        -> UnlockToken
    {
        try verifier.verifyUnlockToken(document, vin: vin ?? self.vin, command: command, nowUnixMs: time)
    }

    /// The document with its payload's JSON object changed by `edit` and re-encoded, signature kept.
    static func tampered(_ document: SignedDocument, _ edit: (inout [String: Any]) -> Void) throws -> SignedDocument {
        let payload = try #require(Data(base64Encoded: document.payload))
        var object = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        edit(&object)
        let edited = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return document.replacing(payload: edited.base64EncodedString())
    }
}

@Suite("unlock tokens and their offline verifier")
struct DomainUnlockTokenTests {
    @Test("a token from a node of the cluster verifies and carries the decision's claims")
    func valid() throws {
        let fixture = try TokenFixture()
        let token = try fixture.verify(fixture.token())
        #expect(token.vin == fixture.vin && token.keyID == fixture.key.id && token.command == .unlock)
        #expect(token.nonce.text == "vehicle-challenge-01" && token.revision == 42 && token.consistency == .strict)
        #expect(token.issuingNode == fixture.nodeID && token.issuedAtUnixMs == TokenFixture.now)
        #expect(token.expiresAtUnixMs == TokenFixture.now + DomainLimits.defaultTokenLifetimeSeconds * 1000)
        #expect(DomainLimits.defaultTokenLifetimeSeconds <= DomainLimits.maxTokenLifetimeSeconds)
        #expect(DomainLimits.maxTokenLifetimeSeconds <= 30)
    }

    @Test("an expired token is refused")
    func expired() throws {
        let fixture = try TokenFixture()
        let document = try fixture.token()
        _ = try fixture.verify(document, at: TokenFixture.now + DomainLimits.defaultTokenLifetimeSeconds * 1000 - 1)
        #expect(throws: TokenVerificationError.expired) {
            try fixture.verify(document, at: TokenFixture.now + DomainLimits.defaultTokenLifetimeSeconds * 1000)
        }
    }

    @Test("a token issued further in the future than the clock skew is refused")
    func fromTheFuture() throws {
        let fixture = try TokenFixture()
        #expect(throws: TokenVerificationError.notYetValid) {
            try fixture.verify(fixture.token(), at: TokenFixture.now - DomainLimits.maxClockSkewMs - 1)
        }
    }

    @Test("a token for another vehicle or another command is refused")
    func wrongVehicleOrCommand() throws {
        let fixture = try TokenFixture()
        #expect(throws: TokenVerificationError.wrongVehicle) {
            try fixture.verify(fixture.token(), vin: VIN(validating: "WVWZZZ1JZXW000001"))
        }
        #expect(throws: TokenVerificationError.wrongCommand) { try fixture.verify(fixture.token(), command: .drive) }
    }

    @Test("a forged signature, or claims changed after signing, are refused")
    func forgedSignature() throws {
        let fixture = try TokenFixture()
        let document = try fixture.token()
        let payload = try #require(Data(base64Encoded: document.payload))
        let forged = try P256.Signing.PrivateKey().signature(
            for: SignedDocument.signedBytes(kind: .unlockToken, payload: Array(payload)))
        let forgedDocument = document.replacing(signature: forged.derRepresentation.base64EncodedString())
        #expect(throws: TokenVerificationError.badSignature) { try fixture.verify(forgedDocument) }
        let widened = try TokenFixture.tampered(document) { $0["expiresAtUnixMs"] = TokenFixture.now + 20_000 }
        #expect(throws: TokenVerificationError.badSignature) { try fixture.verify(widened) }
        let otherCommand = try TokenFixture.tampered(document) { $0["command"] = "drive" }
        #expect(throws: TokenVerificationError.badSignature) { try fixture.verify(otherCommand, command: .drive) }
    }

    @Test("a token signed by a node of another cluster's CA is refused")
    func otherCA() throws {
        let fixture = try TokenFixture()
        let otherCA = try CertificateIssuer.makeCA(
            commonName: "KeyCluster cluster CA", now: TokenFixture.certificateTime)
        let strangerCredential = try otherCA.issueTokenSigner(id: fixture.nodeID, now: TokenFixture.certificateTime)
        let stranger = try NodeDocumentSigner(nodeID: fixture.nodeID, credential: strangerCredential)
        #expect(throws: TokenVerificationError.untrustedCertificate) { try fixture.verify(fixture.token(by: stranger)) }
    }

    @Test("only a current node certificate naming the issuing node may sign: not the CA, an operator or another node")
    func onlyTheIssuingNode() throws {
        let fixture = try TokenFixture()
        let time = TokenFixture.certificateTime
        let caSigner = try NodeDocumentSigner(nodeID: fixture.nodeID, credential: fixture.ca.ca)
        #expect(throws: TokenVerificationError.untrustedCertificate) { try fixture.verify(fixture.token(by: caSigner)) }
        let operatorSigner = try NodeDocumentSigner(
            nodeID: fixture.nodeID, credential: fixture.ca.issueOperator(name: "ops", now: time))
        #expect(throws: TokenVerificationError.notATokenSigningCertificate) {
            try fixture.verify(fixture.token(by: operatorSigner))
        }
        let otherNode = try NodeDocumentSigner(
            nodeID: fixture.nodeID, credential: fixture.ca.issueTokenSigner(id: 8, now: time))
        #expect(throws: TokenVerificationError.certificateNotForIssuingNode) {
            try fixture.verify(fixture.token(by: otherNode))
        }
        let lapsed = try NodeDocumentSigner(
            nodeID: fixture.nodeID,
            credential: fixture.ca.issueTokenSigner(id: fixture.nodeID, validitySeconds: 60, now: time - 3600))
        #expect(throws: TokenVerificationError.certificateNotCurrent) { try fixture.verify(fixture.token(by: lapsed)) }
    }

    @Test(
        "a token signed with the member's TLS key (its node certificate) is refused: only a token-signing certificate signs"
    )
    func tlsKeyNeverSigns() throws {
        let fixture = try TokenFixture()
        let tlsSigner = try NodeDocumentSigner(
            nodeID: fixture.nodeID,
            credential: fixture.ca.issueNode(id: fixture.nodeID, region: "eu", now: TokenFixture.certificateTime))
        #expect(throws: TokenVerificationError.notATokenSigningCertificate) {
            try fixture.verify(fixture.token(by: tlsSigner))
        }
        #expect(throws: TokenVerificationError.notATokenSigningCertificate) {
            try fixture.verifier.verifyKeyList(
                try tlsSigner.sign(
                    VehicleKeyList(
                        vin: fixture.vin, revision: 1, issuedAtUnixMs: TokenFixture.now, issuingNode: fixture.nodeID,
                        keys: [], readRevision: 1,
                        consistency: .strict), as: .vehicleKeyList),
                vin: fixture.vin, nowUnixMs: TokenFixture.now)
        }
    }

    @Test("the verifier's node name is the cluster's node identity URI")
    func nodeIdentityFormat() {
        #expect(ClusterIdentity.node(7).uri == "urn:keycluster:node:7")
    }

    @Test("a token claiming a lifetime beyond the maximum is refused even when validly signed")
    func lifetimeBound() throws {
        let fixture = try TokenFixture()
        let grant = try fixture.grant
        let longLived = UnlockToken(
            vin: grant.vin, keyID: grant.keyID, command: .unlock, nonce: try DomainFixture.freshNonce(),
            issuedAtUnixMs: TokenFixture.now,
            expiresAtUnixMs: TokenFixture.now + DomainLimits.maxTokenLifetimeSeconds * 1000 + 1, revision: 1,
            consistency: .bounded,
            issuingNode: fixture.nodeID)
        #expect(throws: TokenVerificationError.invalidLifetime) {
            try fixture.verify(fixture.signer.sign(longLived, as: .unlockToken))
        }
    }

    @Test("malformed documents are refused with a clear error, never a crash")
    func malformed() throws {
        let fixture = try TokenFixture()
        let document = try fixture.token()
        let cases = [
            document.replacing(payload: "%%%"),
            document.replacing(certificate: Data("junk".utf8).base64EncodedString()),
            document.replacing(payload: String(repeating: "A", count: 200_000)),
            document.replacing(signature: "%%%"),
        ]
        for bad in cases {
            #expect(throws: TokenVerificationError.self) { try fixture.verify(bad) }
        }
        #expect(throws: TokenVerificationError.wrongKind) {
            try fixture.verifier.verifyKeyList(document, vin: fixture.vin, nowUnixMs: TokenFixture.now)
        }
    }
}

extension SignedDocument {
    /// The same document with some fields swapped, as an attacker would.
    func replacing(kind: Kind? = nil, payload: String? = nil, signature: String? = nil, certificate: String? = nil)
        -> SignedDocument
    {
        SignedDocument(
            kind: kind ?? self.kind, payload: payload ?? self.payload, signature: signature ?? self.signature,
            certificate: certificate ?? self.certificate)
    }
}
