import Foundation
import Testing

@testable import KeyCluster

@Suite("signed vehicle key lists")
struct DomainKeyListTests {
    /// Signs the fixture vehicle's key list as it stands in the store.
    func signedList(_ fixture: DomainFixture, _ tokens: TokenFixture) throws -> SignedDocument {
        try fixture.read { txn in
            let vehicle = try #require(try fixture.store.vehicle(fixture.vin, in: txn))
            let grants = try fixture.store.grants(of: fixture.vin, in: txn)
            return try tokens.signer.keyList(
                vehicle: vehicle, grants: grants, nowUnixMs: TokenFixture.now, readAt: vehicle.revision,
                consistency: .strict)
        }
    }

    @Test("the list holds exactly the active grants, at the vehicle's revision, and verifies")
    func activeGrantsOnly() throws {
        try DomainFixture.with { fixture in
            let tokens = try TokenFixture()
            let owner = TestKey()
            let driver = TestKey()
            let suspended = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: driver, role: .driver))
            try fixture.applied(
                fixture.grantCommand(by: owner, to: suspended, role: .guest, notAfter: fixture.now + 60_000))
            try fixture.applied(.suspend(fixture.change(by: owner, target: suspended)))
            let list = try tokens.verifier.verifyKeyList(
                signedList(fixture, tokens), vin: fixture.vin, nowUnixMs: TokenFixture.now)
            #expect(Set(list.keys.map(\.keyID)) == [owner.id, driver.id])
            #expect(list.revision == fixture.revision && list.issuingNode == tokens.nodeID)
            #expect(list.keys.first { $0.keyID == driver.id }?.publicKey == driver.publicKey)
        }
    }

    @Test("a change moves the revision; the cached revision is refused as stale and the new list drops a revoked key")
    func versioning() throws {
        try DomainFixture.with { fixture in
            let tokens = try TokenFixture()
            let owner = TestKey()
            let driver = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: driver, role: .driver))
            let cached = try tokens.verifier.verifyKeyList(
                signedList(fixture, tokens), vin: fixture.vin, nowUnixMs: TokenFixture.now)
            #expect(throws: TokenVerificationError.staleRevision) {
                try tokens.verifier.verifyKeyList(
                    signedList(fixture, tokens), vin: fixture.vin, cached: cached, nowUnixMs: TokenFixture.now)
            }
            try fixture.applied(.revoke(fixture.change(by: owner, target: driver)))
            let fresh = try tokens.verifier.verifyKeyList(
                signedList(fixture, tokens), vin: fixture.vin, cached: cached, nowUnixMs: TokenFixture.now)
            #expect(fresh.revision > cached.revision)
            #expect(fresh.keys.map(\.keyID) == [owner.id])
        }
    }

    @Test("a tampered list, a list for another vehicle, or a list passed off as another kind is refused")
    func tampering() throws {
        try DomainFixture.with { fixture in
            let tokens = try TokenFixture()
            let owner = TestKey()
            try fixture.register(owner: owner)
            let document = try signedList(fixture, tokens)
            let added = try TokenFixture.tampered(document) { object in
                var keys = object["keys"] as? [[String: Any]] ?? []
                if var extra = keys.first {
                    let intruder = TestKey()
                    extra["keyID"] = intruder.id.text
                    extra["publicKey"] = Data(intruder.publicKey.x963).base64EncodedString()
                    keys.append(extra)
                }
                object["keys"] = keys
            }
            #expect(throws: TokenVerificationError.badSignature) {
                try tokens.verifier.verifyKeyList(added, vin: fixture.vin, nowUnixMs: TokenFixture.now)
            }
            let bumped = try TokenFixture.tampered(document) { $0["revision"] = 999 }
            #expect(throws: TokenVerificationError.badSignature) {
                try tokens.verifier.verifyKeyList(bumped, vin: fixture.vin, nowUnixMs: TokenFixture.now)
            }
            #expect(throws: TokenVerificationError.wrongVehicle) {
                try tokens.verifier.verifyKeyList(
                    document, vin: VIN(validating: "WVWZZZ1JZXW000001"), nowUnixMs: TokenFixture.now)
            }
            let relabelled = document.replacing(kind: .unlockToken)
            #expect(throws: TokenVerificationError.badSignature) {
                try tokens.verifier.verifyUnlockToken(
                    relabelled, vin: fixture.vin, command: .unlock, nowUnixMs: TokenFixture.now)
            }
        }
    }
}
