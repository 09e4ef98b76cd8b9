import Crypto
import Foundation
import Storage
import Testing

@testable import KeyCluster

/// Audit records name their grant instead of holding a second copy of it (`StoredAuditRecord`); the audit
/// answer must stay what it was: every record with the grant as its change left it.
@Suite("audit history without a second copy of the grant")
struct AuditHistoryTests {
    /// A history that puts every lookup to work: a key granted, suspended, resumed, revoked, granted again
    /// on other terms, then replaced by an ownership recovery while live, then force-revoked. Returns each
    /// applied change's grant (what the record at its revision held until this version) by revision.
    func history(_ fixture: DomainFixture) throws -> [UInt64: Grant] {
        let owner = TestKey()
        let driver = TestKey()
        let guest = TestKey()
        var grants: [UInt64: Grant] = [:]
        func record(_ command: DomainCommand) throws {
            let grant = try fixture.applied(command)
            grants[fixture.revision] = grant
        }
        try record(fixture.registerCommand(owner: owner))
        try record(fixture.grantCommand(by: owner, to: driver, role: .driver, permissions: [.unlock, .drive]))
        try record(.suspend(fixture.change(by: owner, target: driver)))
        try record(.resume(fixture.change(by: owner, target: driver)))
        try record(.revoke(fixture.change(by: owner, target: driver)))
        try record(fixture.grantCommand(by: owner, to: driver, role: .guest, notAfter: fixture.now + 60_000))
        try record(fixture.grantCommand(by: owner, to: guest, role: .guest, notAfter: fixture.now + 60_000))
        try record(fixture.forceRevokeCommand(guest))
        try record(
            .recoverOwnership(
                .init(
                    vin: fixture.vin, ownerKey: driver.publicKey, ownerFormFactor: .card,
                    operatorName: fixture.operatorName,
                    reason: "owner's phone lost", timestampUnixMs: fixture.now)))
        try record(.suspend(fixture.change(by: owner, target: driver)))
        try record(fixture.forceRevokeCommand(driver))
        return grants
    }

    @Test(
        "every record reads back with the grant as its change left it, through re-grants, revocations and a replacing recovery"
    )
    func recordsReadAsBefore() throws {
        try DomainFixture.with { fixture in
            let grants = try history(fixture)
            let page = try fixture.read { txn in try fixture.store.auditPage(fixture.vin, in: txn) }
            #expect(page.map(\.revision) == grants.keys.sorted())
            for record in page {
                #expect(record.grant == grants[record.revision], "revision \(record.revision), \(record.action)")
                #expect(record.target == record.grant.keyID)
            }
            // Page by page, the same.
            let second = try fixture.read { txn in
                try fixture.store.auditPage(fixture.vin, afterRevision: 4, limit: 3, in: txn)
            }
            #expect(second == Array(page[4..<7]))
        }
    }

    @Test("stored records hold no grant; each grant that left the live grants is kept once")
    func storedRecordsNameTheGrant() throws {
        try DomainFixture.with { fixture in
            let grants = try history(fixture)
            let (audit, retired) = try fixture.read { txn in
                (try txn.entries(fixture.store.audit), try txn.entries(fixture.store.retiredGrants))
            }
            #expect(audit.count == grants.count)
            for entry in audit {
                #expect(!String(decoding: entry.value, as: UTF8.self).contains("\"grant\":"))
                #expect(try DomainCoding.decode(StoredAuditRecord.self, from: entry.value).grant == nil)
            }
            // Revoked at 5, force-revoked at 8, replaced by the recovery at 9, force-revoked at 11.
            #expect(
                retired.map { $0.key.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }.sorted() == [5, 8, 9, 11])
        }
    }

    /// The form every record had until this version, byte for byte: the sorted encoding of `AuditRecord`.
    static func earlierRecord(owner: KeyID, driver: KeyPublicKey, vin: VIN) -> String {
        #"{"action":"grant","actor":{"key":{"_0":"\#(owner.text)"}},"grant":{"formFactor":"phone","grantedAtUnixMs":1800000000000,"#
            + #""grantedBy":{"key":{"_0":"\#(owner.text)"}},"keyID":"\#(driver.keyID.text)","notAfterUnixMs":1800000600000,"#
            + #""permissions":["unlock","lock","drive"],"publicKey":"\#(driver.base64)","revision":2,"role":"driver","status":"active","#
            + #""vin":"\#(vin.text)"},"revision":2,"target":"\#(driver.keyID.text)","timestampUnixMs":1800000000000}"#
    }

    @Test("records stored by earlier versions, which embed the grant, read as before beside new ones")
    func earlierRecordsStillRead() throws {
        try DomainFixture.with { fixture in
            let owner = TestKey()
            let driver = KeyPublicKey(
                try P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32)).publicKey)
            try fixture.register(owner: owner)
            let grant = Grant(
                vin: fixture.vin, publicKey: driver, formFactor: .phone, role: .driver,
                permissions: [.unlock, .lock, .drive],
                notBeforeUnixMs: nil, notAfterUnixMs: 1_800_000_600_000, grantedBy: .key(owner.id),
                grantedAtUnixMs: fixture.now,
                revision: 2, status: .active)
            let earlier = AuditRecord(
                revision: 2, action: .grant, actor: .key(owner.id), target: driver.keyID, timestampUnixMs: fixture.now,
                grant: grant)
            let stored = Self.earlierRecord(owner: owner.id, driver: driver, vin: fixture.vin)
            #expect(String(decoding: try DomainCoding.encoder.encode(earlier), as: UTF8.self) == stored)
            try fixture.environment.write { txn in
                try txn.put(
                    Array(stored.utf8), for: KeyAuthorizationStore.auditKey(fixture.vin, 2), in: fixture.store.audit)
            }
            let page = try fixture.read { txn in try fixture.store.auditPage(fixture.vin, in: txn) }
            #expect(page.count == 2)
            #expect(page.last == earlier)
            #expect(page.first?.action == .registerVehicle && page.first?.grant.keyID == owner.id)
        }
    }
}
