import Foundation
import Testing

@testable import KeyCluster

/// A signed change that waited — a member frozen with it in its socket, the first try of a retried grant —
/// must not undo a change to the same key that was signed later and already applied: a grant must not bring
/// back a key whose revocation was acknowledged (found by the partition suite: a grant processed by a member
/// as it returned from SIGSTOP re-granted a key revoked 2 s earlier).
@Suite("stale signed requests never undo newer changes")
struct StaleRequestTests {
    func signature(_ fixture: DomainFixture, _ key: TestKey, requestedAt time: Int64) throws
        -> DomainCommand.KeySignature
    {
        try fixture.signature(key, at: fixture.now + 60_000, requestTime: time)
    }

    @Test("a grant signed before the key's acknowledged revocation is refused as stale; one signed after it applies")
    func lateGrantAfterRevoke() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = TestKey()
            try fixture.register(owner: owner)
            func grant(requestedAt time: Int64) throws -> DomainResult {
                try fixture.apply(
                    .grant(
                        .init(
                            vin: fixture.vin, signer: try signature(fixture, owner, requestedAt: time),
                            publicKey: driver.publicKey, formFactor: .phone,
                            role: .driver)))
            }
            // The retried grant (signed at +5 s) applies; the revocation (signed at +6 s) applies.
            guard case .applied = try grant(requestedAt: fixture.now + 5_000) else {
                Issue.record("the retry's grant was refused")
                return
            }
            try fixture.applied(
                .revoke(
                    .init(
                        vin: fixture.vin, signer: try signature(fixture, owner, requestedAt: fixture.now + 6_000),
                        target: driver.id)))
            // The first try, signed at +0 s, reaches the log only now.
            #expect(try grant(requestedAt: fixture.now) == .refused(KeyAuthorizationStore.stale(driver.id)))
            #expect(
                try fixture.read { txn in try fixture.store.grants(of: fixture.vin, in: txn) }.map(\.keyID) == [
                    owner.id
                ])
            // A grant signed after the revocation is a new decision: it applies.
            guard case .applied = try grant(requestedAt: fixture.now + 7_000) else {
                Issue.record("a newer grant was refused")
                return
            }
        }
    }

    @Test("a revoke or suspend signed before the key's latest grant is refused as stale; equal times are not stale")
    func lateRevokeAfterRegrant() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = TestKey()
            try fixture.register(owner: owner)
            try fixture.applied(
                .grant(
                    .init(
                        vin: fixture.vin, signer: try signature(fixture, owner, requestedAt: fixture.now + 10_000),
                        publicKey: driver.publicKey,
                        formFactor: .phone, role: .driver)))
            for late in [DomainCommand.revoke, DomainCommand.suspend] {
                let command = late(
                    .init(
                        vin: fixture.vin, signer: try signature(fixture, owner, requestedAt: fixture.now + 9_000),
                        target: driver.id))
                #expect(try fixture.apply(command) == .refused(KeyAuthorizationStore.stale(driver.id)))
            }
            try fixture.applied(
                .suspend(
                    .init(
                        vin: fixture.vin, signer: try signature(fixture, owner, requestedAt: fixture.now + 10_000),
                        target: driver.id)))
        }
    }
}
