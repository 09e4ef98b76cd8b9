import Foundation
import Testing

@testable import KeyCluster

/// The ownership hierarchy (design §9, issue 13): a key never acts on a grant that outranks it, the last
/// unrestricted owner is removable by an operator only, an operator can recover a vehicle with no usable
/// owner (audited, with a reason), and a signer's grant window is checked at the deciding member's clock.
@Suite("Ownership hierarchy and recovery")
struct OwnershipHierarchyTests {
    typealias Terms = (role: Role, permissions: Permissions, notBefore: Int64?, notAfter: Int64?)
    static let hour: Int64 = 3_600_000

    /// Grants `terms` to a fresh key, signed by `owner` (an unrestricted owner, so any terms are grantable).
    func granted(_ terms: Terms, by owner: TestKey, in fixture: DomainFixture) throws -> TestKey {
        let key = TestKey()
        try fixture.applied(
            try fixture.grantCommand(
                by: owner, to: key, role: terms.role, permissions: terms.permissions, notBefore: terms.notBefore,
                notAfter: terms.notAfter))
        return key
    }

    /// Signer and target terms, and whether the signer may revoke, suspend and resume the target.
    static let cases: [(signer: Terms, target: Terms, allowed: Bool, why: String)] = {
        let now = TokenFixture.now
        let full = Role.owner.maximumPermissions
        return [
            ((.owner, full, nil, nil), (.owner, full, nil, nil), true, "equal unrestricted co-owners"),
            ((.owner, full, nil, nil), (.owner, [.lock], nil, now + hour), true, "full owner over a limited owner"),
            (
                (.owner, [.lock], nil, now + hour), (.owner, full, nil, nil), false,
                "limited owner (permissions and window) over a full one"
            ),
            ((.owner, full, nil, now + hour), (.owner, full, nil, nil), false, "owner with an end over one without"),
            ((.owner, full, now - hour, nil), (.owner, full, nil, nil), false, "owner with a start over one without"),
            (
                (.owner, [.unlock, .lock], nil, nil), (.driver, [.unlock, .lock, .drive], nil, nil), false,
                "owner lacking the driver's drive permission"
            ),
            (
                (.owner, [.unlock, .lock, .drive], nil, nil), (.driver, [.unlock, .lock, .drive], nil, nil), true,
                "owner holding all the driver holds"
            ),
            (
                (.owner, full, nil, now + hour), (.guest, [.unlock], nil, now + 2 * hour), false,
                "guest window outlasting the signer's"
            ),
            (
                (.owner, full, nil, now + 2 * hour), (.guest, [.unlock], now, now + hour), true,
                "guest window inside the signer's"
            ),
        ]
    }()

    @Test(
        "a key revokes, suspends or resumes only grants it dominates (role, permissions, window)",
        arguments: 0..<cases.count)
    func dominance(_ index: Int) throws {
        let (signerTerms, targetTerms, allowed, why) = Self.cases[index]
        try DomainFixture.with { fixture in
            let owner = TestKey()
            try fixture.register(owner: owner)
            let signer = try granted(signerTerms, by: owner, in: fixture)
            let target = try granted(targetTerms, by: owner, in: fixture)
            for action in [DomainCommand.suspend, DomainCommand.revoke] {
                let command = action(try fixture.change(by: signer, target: target))
                if allowed {
                    #expect(throws: Never.self, "\(why)") { try fixture.applied(command) }
                    if case .suspend = command {
                        // Back to active, by the same signer: resume follows the same rule.
                        try fixture.applied(.resume(try fixture.change(by: signer, target: target)))
                    }
                } else {
                    #expect(try fixture.refusal(command) == .targetOutranksSigner, "\(why)")
                }
            }
        }
    }

    @Test("the lock-out of issue 13: a limited, expiring owner cannot suspend the full owner, who keeps unlocking")
    func lockOutRefused() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            try fixture.register(owner: owner)
            let limited = try granted((.owner, [.lock], nil, fixture.now + 4_000), by: owner, in: fixture)
            #expect(
                try fixture.refusal(.suspend(try fixture.change(by: limited, target: owner))) == .targetOutranksSigner)
            #expect(
                try fixture.refusal(.revoke(try fixture.change(by: limited, target: owner))) == .targetOutranksSigner)
            #expect(try fixture.grant(owner)?.status == .active)
        }
    }

    @Test(
        "the last active unrestricted owner cannot revoke or suspend itself, even with limited owners left; with a co-owner it can"
    )
    func lastUnrestrictedOwner() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            try fixture.register(owner: owner)
            _ = try granted((.owner, [.unlock, .lock], nil, nil), by: owner, in: fixture)
            #expect(try fixture.refusal(.revoke(try fixture.change(by: owner, target: owner))) == .lastOwner)
            #expect(try fixture.refusal(.suspend(try fixture.change(by: owner, target: owner))) == .lastOwner)
            let coOwner = try granted((.owner, Role.owner.maximumPermissions, nil, nil), by: owner, in: fixture)
            try fixture.applied(.revoke(try fixture.change(by: coOwner, target: owner)))
            #expect(try fixture.refusal(.revoke(try fixture.change(by: coOwner, target: coOwner))) == .lastOwner)
        }
    }

    @Test(
        "an operator may remove the last owner, then recover the vehicle with a new owner key; the reason is audited and mandatory"
    )
    func operatorRecovery() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let replacement = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(fixture.forceRevokeCommand(owner))
            #expect(
                try fixture.refusal(fixture.registerCommand(owner: replacement)) == .vehicleExists,
                "re-enrolling is not the way")
            let recover = { (reason: String) in
                DomainCommand.recoverOwnership(
                    .init(
                        vin: fixture.vin, ownerKey: replacement.publicKey, ownerFormFactor: .phone,
                        operatorName: fixture.operatorName,
                        reason: reason, timestampUnixMs: fixture.now))
            }
            #expect(try fixture.refusal(recover("   ")) == .invalidCommand)
            #expect(
                try fixture.refusal(recover(String(repeating: "x", count: DomainLimits.maxRecoveryReasonBytes + 1)))
                    == .invalidCommand)
            let grant = try fixture.applied(recover("ticket 4711: owner's phone stolen"))
            #expect(grant.isUnrestrictedOwner && grant.grantedBy == .operator(fixture.operatorName))
            let record = try #require(
                try fixture.read { txn in
                    try fixture.store.auditPage(fixture.vin, afterRevision: 0, limit: 100, in: txn)
                }.last)
            #expect(record.action == .recoverOwnership && record.actor == .operator(fixture.operatorName))
            #expect(record.reason == "ticket 4711: owner's phone stolen")
            // The recovered owner manages keys again.
            _ = try granted((.driver, [.unlock], nil, nil), by: replacement, in: fixture)
        }
    }

    @Test("the signer's window is checked at the deciding member's clock: back- or forward-dated requests do not help")
    func signerWindowAtMemberClock() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            try fixture.register(owner: owner)
            let now = fixture.now
            let expired = try granted((.owner, Role.owner.maximumPermissions, nil, now + 1_500), by: owner, in: fixture)
            let notYet = try granted((.owner, Role.owner.maximumPermissions, now + 20_000, nil), by: owner, in: fixture)
            let driver = try granted((.driver, [.unlock], nil, nil), by: owner, in: fixture)
            // Decided 3 s after the expired owner's end, with a request back-dated to before it.
            let backDated = DomainCommand.ChangeKey(
                vin: fixture.vin, signer: try fixture.signature(expired, at: now + 3_000, requestTime: now),
                target: driver.id)
            #expect(try fixture.refusal(.revoke(backDated)) == .signerNotAuthorized)
            // Decided now, with a request forward-dated into the not-yet-valid owner's window.
            let forwardDated = DomainCommand.ChangeKey(
                vin: fixture.vin, signer: try fixture.signature(notYet, at: now, requestTime: now + 21_000),
                target: driver.id)
            #expect(try fixture.refusal(.revoke(forwardDated)) == .signerNotAuthorized)
        }
    }
}
