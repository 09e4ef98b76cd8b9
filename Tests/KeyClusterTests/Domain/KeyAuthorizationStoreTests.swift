import Foundation
import Storage
import Testing

@testable import KeyCluster

@Suite("key authorization store: registration and grants")
struct DomainStoreGrantTests {
    @Test("registering a vehicle stores it with its first owner holding every permission, and audits it")
    func registration() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let grant = try fixture.register(owner: owner)
            #expect(grant.role == .owner && grant.permissions == .all && grant.status == .active)
            #expect(grant.grantedBy == .operator(fixture.operatorName))
            #expect(try fixture.grant(owner) == grant)
            #expect(try fixture.vehicle()?.revision == fixture.revision)
            let audit = try fixture.read { txn in try fixture.store.auditPage(fixture.vin, in: txn) }
            #expect(audit.map(\.action) == [.registerVehicle])
            #expect(audit.first?.actor == .operator(fixture.operatorName))
        }
    }

    @Test("registering a VIN twice is refused and changes nothing")
    func duplicateRegistration() throws {
        try DomainFixture.with { fixture in
            try fixture.register(owner: TestKey())
            #expect(try fixture.refusal(fixture.registerCommand(owner: TestKey())) == .vehicleExists)
        }
    }

    @Test("an owner grants a driver the role's default permissions; the vehicle revision moves")
    func ownerGrantsDriver() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = TestKey()
            try fixture.register(owner: owner)
            let grant = try fixture.applied(fixture.grantCommand(by: owner, to: driver, role: .driver))
            #expect(grant.permissions == Role.driver.defaultPermissions)
            #expect(grant.grantedBy == .key(owner.id))
            #expect(grant.revision == fixture.revision)
            #expect(try fixture.vehicle()?.revision == fixture.revision)
            #expect(try fixture.grant(driver) == grant)
            let grants = try fixture.read { txn in try fixture.store.grants(of: fixture.vin, in: txn) }
            #expect(Set(grants.map(\.keyID)) == [owner.id, driver.id])
        }
    }

    @Test("a key action on an unregistered vehicle is refused and changes nothing")
    func unknownVehicle() throws {
        try DomainFixture.with { fixture in
            let code = try fixture.refusal(fixture.grantCommand(by: TestKey(), to: TestKey(), role: .driver))
            #expect(code == .vehicleNotFound)
        }
    }

    @Test("only owners manage keys: a driver's grant, revoke, suspend and resume are refused")
    func onlyOwnersManage() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = TestKey()
            let other = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: driver, role: .driver, permissions: .all))
            try fixture.applied(fixture.grantCommand(by: owner, to: other, role: .driver))
            #expect(
                try fixture.refusedGrant(by: driver, role: .guest, permissions: .unlock, notAfter: fixture.now + 1)
                    == .notOwner)
            #expect(try fixture.refusal(.revoke(fixture.change(by: driver, target: other))) == .notOwner)
            #expect(try fixture.refusal(.suspend(fixture.change(by: driver, target: other))) == .notOwner)
            #expect(try fixture.refusal(.resume(fixture.change(by: driver, target: other))) == .notOwner)
        }
    }

    @Test("a signer without a live grant, or with a suspended one, is refused")
    func signerWithoutUsableGrant() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let second = TestKey()
            try fixture.register(owner: owner)
            #expect(
                try fixture.refusal(fixture.grantCommand(by: TestKey(), to: TestKey(), role: .driver))
                    == .signerNotAuthorized)
            try fixture.applied(fixture.grantCommand(by: owner, to: second, role: .owner))
            try fixture.applied(.suspend(fixture.change(by: owner, target: second)))
            #expect(
                try fixture.refusal(fixture.grantCommand(by: second, to: TestKey(), role: .driver))
                    == .signerNotAuthorized)
        }
    }

    @Test("a signer's window is judged at the command's timestamp, not a clock")
    func signerWindowAtCommandTime() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let temporaryOwner = TestKey()
            try fixture.register(owner: owner)
            let end = fixture.now + 60_000
            try fixture.applied(fixture.grantCommand(by: owner, to: temporaryOwner, role: .owner, notAfter: end))
            #expect(
                try fixture.refusedGrant(by: temporaryOwner, role: .driver, notAfter: end, at: end)
                    == .signerNotAuthorized)
            try fixture.applied(
                fixture.grantCommand(by: temporaryOwner, to: TestKey(), role: .driver, notAfter: end, at: end - 1))
        }
    }

    @Test("a grant may not carry a permission its role does not allow")
    func roleCapsPermissions() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            try fixture.register(owner: owner)
            let soon = fixture.now + 1
            #expect(
                try fixture.refusedGrant(by: owner, role: .guest, permissions: [.unlock, .charge], notAfter: soon)
                    == .invalidCommand)
            #expect(try fixture.refusedGrant(by: owner, role: .monitor, permissions: .unlock) == .invalidCommand)
        }
    }

    @Test("no key grants more than it holds: neither permissions nor time beyond its own grant")
    func noGrantBeyondSigner() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let limited = TestKey()
            try fixture.register(owner: owner)
            let start = fixture.now - 1000
            let end = fixture.now + 3_600_000
            try fixture.applied(
                fixture.grantCommand(
                    by: owner, to: limited, role: .owner, permissions: [.unlock, .lock], notBefore: start, notAfter: end
                ))
            let exceeds = DomainRefusal.Code.exceedsSignerAuthority
            #expect(
                try fixture.refusedGrant(by: limited, role: .driver, permissions: [.unlock, .drive], notAfter: end)
                    == exceeds)
            #expect(try fixture.refusedGrant(by: limited, role: .driver, permissions: .unlock) == exceeds)
            #expect(
                try fixture.refusedGrant(by: limited, role: .driver, permissions: .unlock, notAfter: end + 1) == exceeds
            )
            #expect(
                try fixture.refusedGrant(
                    by: limited, role: .driver, permissions: .unlock, notBefore: start - 1, notAfter: end) == exceeds)
            try fixture.applied(
                fixture.grantCommand(
                    by: limited, to: TestKey(), role: .driver, permissions: .unlock, notBefore: start, notAfter: end))
        }
    }

    @Test("a guest grant must expire")
    func guestMustExpire() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let guest = TestKey()
            try fixture.register(owner: owner)
            #expect(try fixture.refusal(fixture.grantCommand(by: owner, to: guest, role: .guest)) == .guestMustExpire)
            let grant = try fixture.applied(
                fixture.grantCommand(by: owner, to: guest, role: .guest, notAfter: fixture.now + 3_600_000))
            #expect(grant.permissions == Role.guest.defaultPermissions)
        }
    }

    @Test("a grant window must be ordered, in range and not already over")
    func grantWindow() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            try fixture.register(owner: owner)
            let now = fixture.now
            let windows: [(Int64?, Int64?)] = [
                (now + 10, now + 10), (now + 20, now + 10), (nil, now), (nil, now - 1), (-1, now + 10),
                (nil, Int64.max),
            ]
            for (notBefore, notAfter) in windows {
                #expect(
                    try fixture.refusedGrant(by: owner, role: .driver, notBefore: notBefore, notAfter: notAfter)
                        == .invalidCommand)
            }
        }
    }

    @Test("a timestamp outside 1970–9999 is refused")
    func invalidTimestamp() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            try fixture.register(owner: owner)
            #expect(try fixture.refusedGrant(by: owner, role: .driver, at: -1) == .invalidCommand)
            #expect(
                try fixture.refusedGrant(by: owner, role: .driver, at: DomainLimits.maxTimestampUnixMs + 1)
                    == .invalidCommand)
        }
    }

    @Test("granting a key that already holds a live grant is refused")
    func duplicateGrant() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: driver, role: .driver))
            #expect(
                try fixture.refusal(fixture.grantCommand(by: owner, to: driver, role: .owner)) == .keyAlreadyGranted)
            #expect(
                try fixture.refusal(fixture.grantCommand(by: owner, to: owner, role: .driver)) == .keyAlreadyGranted)
        }
    }

    @Test("a vehicle holds at most maxKeysPerVehicle non-revoked keys; a revoke frees a place")
    func keyLimit() throws {
        try DomainFixture.with(maxKeysPerVehicle: 3) { fixture in
            let owner = TestKey()
            let first = TestKey()
            let second = TestKey()
            let suspended = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: first, role: .driver))
            try fixture.applied(fixture.grantCommand(by: owner, to: suspended, role: .driver))
            try fixture.applied(.suspend(fixture.change(by: owner, target: suspended)))
            #expect(try fixture.refusal(fixture.grantCommand(by: owner, to: second, role: .driver)) == .tooManyKeys)
            try fixture.applied(.revoke(fixture.change(by: owner, target: first)))
            try fixture.applied(fixture.grantCommand(by: owner, to: second, role: .driver))
        }
    }

    @Test("the default bound on keys per vehicle is 32")
    func defaultKeyLimit() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            try fixture.register(owner: owner)
            for _ in 1..<DomainLimits.defaultMaxKeysPerVehicle {
                try fixture.applied(fixture.grantCommand(by: owner, to: TestKey(), role: .driver))
            }
            #expect(DomainLimits.defaultMaxKeysPerVehicle == 32)
            #expect(try fixture.refusal(fixture.grantCommand(by: owner, to: TestKey(), role: .driver)) == .tooManyKeys)
        }
    }
}
