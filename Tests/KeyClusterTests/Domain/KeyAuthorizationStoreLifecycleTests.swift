import Foundation
import Storage
import Testing

@testable import KeyCluster

@Suite("key authorization store: revoke, suspend, resume, audit, nonces")
struct DomainStoreLifecycleTests {
    @Test("a revoked grant leaves the live grants, never authorizes, and stays in the audit history")
    func revoke() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: driver, role: .driver))
            let revoked = try fixture.applied(.revoke(fixture.change(by: owner, target: driver)))
            #expect(revoked.status == .revoked && revoked.revision == fixture.revision)
            #expect(try fixture.grant(driver) == nil)
            let decision = try fixture.read { txn in
                try fixture.store.decide(fixture.vin, driver.id, permission: .unlock, atUnixMs: fixture.now, in: txn)
            }
            #expect(decision == .denied(.noGrant))
            let audit = try fixture.read { txn in try fixture.store.auditPage(fixture.vin, in: txn) }
            #expect(audit.map(\.action) == [.registerVehicle, .grant, .revoke])
            #expect(
                audit.last?.grant == revoked && audit.last?.actor == .key(owner.id) && audit.last?.target == driver.id)
            #expect(try fixture.refusal(.revoke(fixture.change(by: owner, target: driver))) == .grantNotFound)
        }
    }

    @Test("suspend and resume move between active and suspended only")
    func suspendResume() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: driver, role: .driver))
            #expect(try fixture.refusal(.resume(fixture.change(by: owner, target: driver))) == .invalidTransition)
            #expect(try fixture.applied(.suspend(fixture.change(by: owner, target: driver))).status == .suspended)
            #expect(try fixture.refusal(.suspend(fixture.change(by: owner, target: driver))) == .invalidTransition)
            let decision = try fixture.read { txn in
                try fixture.store.decide(fixture.vin, driver.id, permission: .unlock, atUnixMs: fixture.now, in: txn)
            }
            #expect(decision == .denied(.suspended))
            #expect(try fixture.applied(.resume(fixture.change(by: owner, target: driver))).status == .active)
            #expect(try fixture.refusal(.suspend(fixture.change(by: owner, target: TestKey()))) == .grantNotFound)
        }
    }

    @Test("an owner cannot revoke or suspend the vehicle's only active owner; with two owners it can")
    func lastOwner() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let second = TestKey()
            try fixture.register(owner: owner)
            #expect(try fixture.refusal(.revoke(fixture.change(by: owner, target: owner))) == .lastOwner)
            #expect(try fixture.refusal(.suspend(fixture.change(by: owner, target: owner))) == .lastOwner)
            try fixture.applied(fixture.grantCommand(by: owner, to: second, role: .owner))
            try fixture.applied(.revoke(fixture.change(by: second, target: owner)))
            #expect(try fixture.refusal(.suspend(fixture.change(by: second, target: second))) == .lastOwner)
        }
    }

    @Test("an operator force-revokes any live key, even the last owner's; an unknown key or vehicle is refused")
    func forceRevoke() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            try fixture.register(owner: owner)
            #expect(try fixture.refusal(fixture.forceRevokeCommand(TestKey())) == .grantNotFound)
            let otherVehicle = try VIN(validating: "WVWZZZ1JZXW000001")
            #expect(try fixture.refusal(fixture.forceRevokeCommand(owner, vin: otherVehicle)) == .vehicleNotFound)
            let revoked = try fixture.applied(fixture.forceRevokeCommand(owner))
            #expect(revoked.status == .revoked)
            #expect(try fixture.grant(owner) == nil)
            let audit = try fixture.read { txn in try fixture.store.auditPage(fixture.vin, in: txn) }
            #expect(audit.last?.action == .forceRevoke && audit.last?.actor == .operator(fixture.operatorName))
        }
    }

    @Test("a reused (key, nonce) is refused; the same nonce from another key is accepted")
    func replayedNonce() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let second = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: second, role: .owner))
            let nonce = try DomainFixture.freshNonce()
            try fixture.applied(fixture.grantCommand(by: owner, to: TestKey(), role: .driver, nonce: nonce))
            #expect(
                try fixture.refusal(fixture.grantCommand(by: owner, to: TestKey(), role: .driver, nonce: nonce))
                    == .replayedNonce)
            #expect(
                try fixture.refusal(.suspend(fixture.change(by: owner, target: second, nonce: nonce))) == .replayedNonce
            )
            try fixture.applied(fixture.grantCommand(by: second, to: TestKey(), role: .driver, nonce: nonce))
        }
    }

    @Test("nonce records are pruned by command timestamps once older than the retention window")
    func noncePruning() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = TestKey()
            try fixture.register(owner: owner)
            let oldNonce = try DomainFixture.freshNonce()
            try fixture.applied(fixture.grantCommand(by: owner, to: driver, role: .driver, nonce: oldNonce))
            #expect(try fixture.recordedNonceCount() == 1)
            let withinRetention = fixture.now + DomainLimits.nonceRetentionMs
            try fixture.applied(.suspend(fixture.change(by: owner, target: driver, at: withinRetention)))
            #expect(try fixture.recordedNonceCount() == 2)
            let replay = try fixture.change(by: owner, target: driver, at: withinRetention, nonce: oldNonce)
            #expect(try fixture.refusal(.resume(replay)) == .replayedNonce)
            try fixture.applied(.resume(fixture.change(by: owner, target: driver, at: withinRetention + 1)))
            #expect(try fixture.recordedNonceCount() == 2)
        }
    }

    @Test("one command prunes at most maxNoncePrunesPerCommand nonce records")
    func pruningIsBounded() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: driver, role: .driver))
            let extra = 10
            for index in 0..<(DomainLimits.maxNoncePrunesPerCommand + extra) / 2 {
                try fixture.applied(.suspend(fixture.change(by: owner, target: driver, at: fixture.now + Int64(index))))
                try fixture.applied(.resume(fixture.change(by: owner, target: driver, at: fixture.now + Int64(index))))
            }
            let recorded = try fixture.recordedNonceCount()
            #expect(recorded == DomainLimits.maxNoncePrunesPerCommand + extra + 1)
            try fixture.applied(
                .suspend(
                    fixture.change(by: owner, target: driver, at: fixture.now + DomainLimits.nonceRetentionMs + 1000)))
            #expect(try fixture.recordedNonceCount() == recorded + 1 - DomainLimits.maxNoncePrunesPerCommand)
        }
    }

    @Test("audit pages are bounded and continue after the last revision read")
    func auditPaging() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let other = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.grantCommand(by: owner, to: other, role: .driver))
            for _ in 0..<3 {
                try fixture.applied(.suspend(fixture.change(by: owner, target: other)))
                try fixture.applied(.resume(fixture.change(by: owner, target: other)))
            }
            let first = try fixture.read { txn in try fixture.store.auditPage(fixture.vin, limit: 3, in: txn) }
            #expect(first.map(\.revision) == [1, 2, 3])
            let rest = try fixture.read { txn in
                try fixture.store.auditPage(fixture.vin, afterRevision: 3, limit: 1000, in: txn)
            }
            #expect(rest.map(\.revision) == [4, 5, 6, 7, 8])
            let huge = try fixture.read { txn in try fixture.store.auditPage(fixture.vin, limit: .max, in: txn) }
            #expect(huge.count == 8 && huge.count <= DomainLimits.maxAuditPageSize)
            let otherVehicle = try VIN(validating: "WVWZZZ1JZXW000001")
            #expect(try fixture.read { txn in try fixture.store.auditPage(otherVehicle, in: txn) }.isEmpty)
        }
    }

    @Test("two stores applying the same commands hold identical bytes and give identical results")
    func determinism() throws {
        try DomainFixture.with { first in
            try DomainFixture.with { second in
                let owner = TestKey()
                let driver = TestKey()
                let guest = TestKey()
                var commands = [
                    first.registerCommand(owner: owner),
                    try first.grantCommand(
                        by: owner, to: driver, role: .driver, permissions: [.drive, .unlock, .lock]),
                    try first.grantCommand(by: owner, to: guest, role: .guest, notAfter: first.now + 1000),
                ]
                commands += [
                    .suspend(try first.change(by: owner, target: driver)),
                    try first.grantCommand(by: driver, to: TestKey(), role: .driver),
                    .revoke(try first.change(by: owner, target: guest)),
                ]
                for command in commands {
                    let encoded = DomainCoding.encode(command)
                    let decoded = try DomainCoding.decode(DomainCommand.self, from: encoded)
                    #expect(decoded == command)
                    #expect(try DomainCoding.encode(first.apply(command)) == DomainCoding.encode(second.apply(decoded)))
                }
                #expect(try first.snapshot() == second.snapshot())
            }
        }
    }
}
