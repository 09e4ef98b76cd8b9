import Foundation
import Storage
import TestSupport
import Testing

@testable import KeyCluster

/// What a stolen signing key is worth, bounded: signing certificates live at most 31 days, key lists at most
/// a day (never past their certificate), a list forged with a huge revision pins a car only until it ends, and
/// a withdrawn signing certificate — named in a key list — signs nothing the car accepts.
@Suite("key-list validity and withdrawn signers")
struct KeyListValidityTests {
    static let hourMs: Int64 = 3_600_000

    /// A key list for the fixture's VIN, signed by `signer` with the given claims (bypassing the member's rules).
    private func list(
        _ fixture: TokenFixture, by signer: NodeDocumentSigner? = nil, revision: UInt64,
        issuedAt: Int64 = TokenFixture.now,
        validUntil: Int64? = nil, withoutValidity: Bool = false, withdrawn: [String]? = nil
    ) throws -> SignedDocument {
        let claims = VehicleKeyList(
            vin: fixture.vin, revision: revision, issuedAtUnixMs: issuedAt, issuingNode: fixture.nodeID, keys: [],
            validUntilUnixMs: withoutValidity
                ? nil : validUntil ?? issuedAt + DomainLimits.keyListLifetimeSeconds * 1000,
            withdrawnSigners: withdrawn)
        return try (signer ?? fixture.signer).sign(claims, as: .vehicleKeyList)
    }

    private func member(_ fixture: TokenFixture, validitySeconds: Int64 = TokenSigningUsage.defaultValiditySeconds)
        throws -> NodeDocumentSigner
    {
        try NodeDocumentSigner(
            nodeID: fixture.nodeID,
            credential: fixture.ca.issueTokenSigner(
                id: fixture.nodeID, validitySeconds: validitySeconds, now: TokenFixture.certificateTime))
    }

    @Test(
        "a member's list is good for a day and never past its certificate; longer claims are refused; an ended list is refused"
    )
    func lifetime() throws {
        let fixture = try TokenFixture()
        let vehicle = Vehicle(
            vin: fixture.vin, registeredBy: try OperatorName(validating: "ops"), registeredAtUnixMs: 0, revision: 5)
        let signed = try fixture.signer.keyList(
            vehicle: vehicle, grants: [], nowUnixMs: TokenFixture.now, readAt: 5, consistency: .strict)
        let verified = try fixture.verifier.verifyKeyList(signed, vin: fixture.vin, nowUnixMs: TokenFixture.now)
        #expect(verified.validUntilUnixMs == TokenFixture.now + DomainLimits.keyListLifetimeSeconds * 1000)
        // Signed an hour before its certificate ends: good for that hour only.
        let late = fixture.signer.notValidAfterUnixMs - Self.hourMs
        let lateList = try fixture.signer.keyList(
            vehicle: vehicle, grants: [], nowUnixMs: late, readAt: 5, consistency: .strict)
        #expect(
            try fixture.verifier.verifyKeyList(lateList, vin: fixture.vin, nowUnixMs: late).validUntilUnixMs
                == fixture.signer.notValidAfterUnixMs)

        #expect(throws: TokenVerificationError.invalidLifetime) {
            try fixture.verifier.verifyKeyList(
                list(
                    fixture, revision: 9, validUntil: TokenFixture.now + DomainLimits.keyListLifetimeSeconds * 1000 + 1),
                vin: fixture.vin,
                nowUnixMs: TokenFixture.now)
        }
        #expect(throws: TokenVerificationError.invalidLifetime) {
            try fixture.verifier.verifyKeyList(
                list(fixture, revision: 9, withoutValidity: true), vin: fixture.vin, nowUnixMs: TokenFixture.now)
        }
        #expect(throws: TokenVerificationError.invalidLifetime) {
            try fixture.verifier.verifyKeyList(
                list(fixture, revision: 9, issuedAt: late, validUntil: late + 2 * Self.hourMs), vin: fixture.vin,
                nowUnixMs: late)
        }
        #expect(throws: TokenVerificationError.expired) {
            try fixture.verifier.verifyKeyList(
                signed, vin: fixture.vin, nowUnixMs: TokenFixture.now + DomainLimits.keyListLifetimeSeconds * 1000)
        }
    }

    @Test("a list forged with a huge revision pins the car only until it ends; then the genuine list is accepted again")
    func forgedRevisionEnds() throws {
        let fixture = try TokenFixture()
        let forged = try fixture.verifier.verifyKeyList(
            list(fixture, revision: 1 << 60), vin: fixture.vin, nowUnixMs: TokenFixture.now)
        let genuineLater = TokenFixture.now + 2 * Self.hourMs
        #expect(throws: TokenVerificationError.staleRevision) {
            try fixture.verifier.verifyKeyList(
                list(fixture, revision: 12, issuedAt: genuineLater), vin: fixture.vin, cached: forged,
                nowUnixMs: genuineLater)
        }
        let afterForgedEnds = try #require(forged.validUntilUnixMs)
        let genuine = try fixture.verifier.verifyKeyList(
            list(fixture, revision: 12, issuedAt: afterForgedEnds), vin: fixture.vin, cached: forged,
            nowUnixMs: afterForgedEnds)
        #expect(genuine.revision == 12)
    }

    @Test(
        "a signing certificate valid for longer than 31 days signs nothing the car accepts; the tooling will not issue one"
    )
    func longCertificates() throws {
        let fixture = try TokenFixture()
        let long = try member(fixture, validitySeconds: TokenSigningUsage.maxValiditySeconds + 24 * 3_600)
        #expect(throws: TokenVerificationError.signingCertificateTooLong) {
            try fixture.verify(fixture.token(by: long))
        }
        let longest = try member(fixture, validitySeconds: TokenSigningUsage.maxValiditySeconds)
        #expect(throws: Never.self) { try fixture.verify(fixture.token(by: longest)) }
        let directory = CertificateDirectory(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("long-\(UUID().uuidString)").path)
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        _ = try directory.createCA()
        #expect(throws: CertificateDirectory.Refusal.self) {
            try directory.issueTokenSigner(id: 1, validitySeconds: TokenSigningUsage.maxValiditySeconds + 1)
        }
    }

    @Test(
        "tokens and lists signed with a certificate the car's key list names as withdrawn are refused; other members' are not"
    )
    func withdrawnSigners() throws {
        let fixture = try TokenFixture()
        let other = try member(fixture)
        #expect(other.fingerprint != fixture.signer.fingerprint)
        let current = try fixture.verifier.verifyKeyList(
            list(fixture, by: other, revision: 20, withdrawn: [fixture.signer.fingerprint]), vin: fixture.vin,
            nowUnixMs: TokenFixture.now)
        #expect(throws: TokenVerificationError.signerWithdrawn) {
            try fixture.verifier.verifyUnlockToken(
                fixture.token(), vin: fixture.vin, command: .unlock, nowUnixMs: TokenFixture.now, keyList: current)
        }
        #expect(throws: Never.self) {
            try fixture.verifier.verifyUnlockToken(
                fixture.token(by: other), vin: fixture.vin, command: .unlock, nowUnixMs: TokenFixture.now,
                keyList: current)
        }
        // Without the list the car cannot know (the bound is then the certificate's end).
        #expect(throws: Never.self) { try fixture.verify(fixture.token()) }
        #expect(throws: TokenVerificationError.signerWithdrawn) {
            try fixture.verifier.verifyKeyList(
                list(fixture, revision: 21, withdrawn: [fixture.signer.fingerprint]), vin: fixture.vin,
                nowUnixMs: TokenFixture.now)
        }
        let tooMany = (0...DomainLimits.maxWithdrawnSigners).map { String(repeating: "\($0 % 10)", count: 64) }
        #expect(throws: TokenVerificationError.malformed("too many withdrawn signers")) {
            try fixture.verifier.verifyKeyList(
                list(fixture, by: other, revision: 22, withdrawn: tooMany), vin: fixture.vin,
                nowUnixMs: TokenFixture.now)
        }
    }
}

/// The replicated list of withdrawn signing certificates: idempotent, bounded, pruned at apply by the
/// command's own time (never a clock), so every member holds the same list.
@Suite("withdrawn signers in the replicated state")
struct SignerWithdrawalStateTests {
    @Test(
        "a withdrawal applied twice is one record; ended ones are pruned by later withdrawals; beyond the bound, refused"
    )
    func applyRules() throws {
        let directory = try TemporaryDirectory("withdrawals")
        defer { directory.remove() }
        let environment = try Environment(
            path: directory.appending("lmdb"), options: EnvironmentOptions(durability: .noSync))
        let machine = try ServiceStateMachine(environment: environment)
        var index: UInt64 = 0
        func apply(_ withdrawal: SignerWithdrawal) throws -> ServiceResult {
            index += 1
            let bytes = try environment.write { txn in
                try machine.apply(
                    Array(JSONEncoder().encode(ServiceCommand.withdrawSigner(withdrawal))), at: index, in: txn)
            }
            return try JSONDecoder().decode(ServiceResult.self, from: Data(bytes))
        }
        func withdrawal(_ number: Int, endsAt end: Int64, at time: Int64) -> SignerWithdrawal {
            SignerWithdrawal(
                fingerprint: String(format: "%064x", number), memberID: 1, notValidAfterUnixMs: end, reason: "test",
                operatorName: "ops",
                atUnixMs: time)
        }
        func stored() throws -> [SignerWithdrawal] {
            try environment.read { txn in try machine.signerWithdrawals(in: txn) }
        }

        #expect(try apply(withdrawal(0, endsAt: 1_000, at: 10)) == .done)
        #expect(try apply(withdrawal(0, endsAt: 1_000, at: 20)) == .done)
        #expect(try stored().count == 1)
        // Past the first one's end: it goes when the next withdrawal is applied.
        #expect(try apply(withdrawal(1, endsAt: 1_000_000, at: 2_000)) == .done)
        #expect(try stored().map(\.fingerprint) == [String(format: "%064x", 1)])
        for number in 2...DomainLimits.maxWithdrawnSigners {
            #expect(try apply(withdrawal(number, endsAt: 1_000_000, at: 3_000)) == .done)
        }
        #expect(try stored().count == DomainLimits.maxWithdrawnSigners)
        guard case .refused = try apply(withdrawal(9_999, endsAt: 1_000_000, at: 4_000)) else {
            Issue.record("a withdrawal beyond the bound was recorded")
            return
        }
        #expect(try stored().count == DomainLimits.maxWithdrawnSigners)
        #expect(try environment.read { txn in try machine.withdrawnFingerprints(atUnixMs: 1_000_000, in: txn) }.isEmpty)
    }
}
