import Foundation
import Storage
import TestSupport
import Testing

@testable import KeyCluster

/// The quota arithmetic, its configuration, and the apply-time rule every member follows while an alarm
/// stands (design §9).
@Suite("Storage quota and alarms")
struct StorageQuotaTests {
    @Test(
        "breaches at the limits: state at maxStateBytes breaches, free disk at the reserve does not, an unknown disk never does"
    )
    func breachArithmetic() {
        let quota = StorageQuota(maxStateBytes: 4 << 20, freeDiskReserveBytes: 1_000)
        #expect(quota.breaches(stateBytes: (4 << 20) - 1, freeDiskBytes: 4 << 20).isEmpty)
        #expect(quota.breaches(stateBytes: 4 << 20, freeDiskBytes: 4 << 20) == [.stateQuota])
        #expect(quota.breaches(stateBytes: 0, freeDiskBytes: 999) == [.diskReserve])
        #expect(quota.breaches(stateBytes: 5 << 20, freeDiskBytes: 0) == [.stateQuota, .diskReserve])
        #expect(quota.breaches(stateBytes: 0, freeDiskBytes: nil).isEmpty)
        #expect(
            StorageQuota(freeDiskReserveBytes: 0).breaches(stateBytes: 0, freeDiskBytes: 0).isEmpty,
            "a zero reserve never breaches")
    }

    @Test("the disk reserve is never less than the state: one more snapshot of it must fit after writes stop")
    func reserveGrowsWithTheState() {
        let quota = StorageQuota(maxStateBytes: 8 << 30, freeDiskReserveBytes: 256 << 20)
        #expect(
            quota.breaches(stateBytes: 100 << 20, freeDiskBytes: 300 << 20).isEmpty,
            "a small state keeps the configured reserve")
        #expect(
            quota.breaches(stateBytes: 1 << 30, freeDiskBytes: 900 << 20) == [.diskReserve],
            "1 GiB of state needs 1 GiB free")
        #expect(quota.breaches(stateBytes: 1 << 30, freeDiskBytes: 1 << 30).isEmpty)
        #expect(
            StorageQuota(freeDiskReserveBytes: 0).breaches(stateBytes: 1 << 30, freeDiskBytes: 0).isEmpty,
            "a zero reserve turns the check off")
    }

    @Test(
        "the LMDB map opens at four times the state quota, so it never grows (a growth waits for every open read) below it"
    )
    func mapFromQuota() {
        #expect(StorageQuota().environmentOptions.initialMapSizeBytes == 32 << 30)
        #expect(
            StorageQuota(maxStateBytes: 1 << 20).environmentOptions.initialMapSizeBytes
                == EnvironmentOptions().initialMapSizeBytes)
        #expect(
            StorageQuota(maxStateBytes: .max).environmentOptions.initialMapSizeBytes
                == EnvironmentOptions().maxMapSizeBytes)
    }

    @Test("absent fields take their defaults; out-of-range values are refused with the field's name")
    func configuration() throws {
        let defaults = try JSONDecoder().decode(StorageQuota.self, from: Data("{}".utf8))
        #expect(defaults == StorageQuota())
        #expect(defaults.maxStateBytes == 8 << 30 && defaults.freeDiskReserveBytes == 256 << 20)
        let partial = try JSONDecoder().decode(StorageQuota.self, from: Data(#"{"freeDiskReserveBytes": 5}"#.utf8))
        #expect(partial.freeDiskReserveBytes == 5 && partial.maxStateBytes == StorageQuota.defaultMaxStateBytes)
        #expect(StorageQuota(maxStateBytes: 1_000).refusal?.contains("maxStateBytes") == true)
        #expect(StorageQuota(freeDiskReserveBytes: -1).refusal?.contains("freeDiskReserveBytes") == true)
        #expect(StorageQuota(checkIntervalMilliseconds: 10).refusal?.contains("checkIntervalMilliseconds") == true)
        #expect(StorageQuota().refusal == nil)
    }

    @Test(
        "while an alarm stands, grants and resumes are refused at apply and change nothing; revocations and suspensions apply; cleared, grants apply again"
    )
    func applyRule() throws {
        try DomainFixture.with { fixture in
            let directory = try TemporaryDirectory("quota")
            defer { directory.remove() }
            let environment = try Environment(
                path: directory.appending("lmdb"), options: EnvironmentOptions(durability: .noSync))
            let machine = try ServiceStateMachine(environment: environment)
            var index: UInt64 = 0
            func apply(_ command: ServiceCommand) throws -> ServiceResult {
                index += 1
                let bytes = try environment.write { txn in
                    try machine.apply(Array(JSONEncoder().encode(command)), at: index, in: txn)
                }
                return try JSONDecoder().decode(ServiceResult.self, from: Data(bytes))
            }
            let owner = TestKey()
            let driver = TestKey()
            let guest = TestKey()
            _ = try apply(.domain(fixture.registerCommand(owner: owner)))
            _ = try apply(.domain(try fixture.grantCommand(by: owner, to: driver, role: .driver)))
            let alarm = StorageAlarm(member: 2, kind: .diskReserve)
            #expect(try apply(.storageAlarm(.raise(alarm))) == .done)
            #expect(try environment.read { txn in try machine.standingAlarms(in: txn) } == [alarm])

            let before = try environment.read { txn in
                try machine.authorizations.databases.map { try txn.pageBytes(in: $0) }
            }
            #expect(
                try apply(
                    .domain(
                        try fixture.grantCommand(by: owner, to: guest, role: .guest, notAfter: fixture.now + 60_000)))
                    == .noSpace(alarms: [alarm]))
            #expect(try apply(.debugPut(key: "k", value: "v")) == .noSpace(alarms: [alarm]))
            #expect(
                try environment.read { txn in try machine.authorizations.databases.map { try txn.pageBytes(in: $0) } }
                    == before)
            #expect(try machine.debugValue("k", in: environment) == nil)

            guard case .domain(.applied) = try apply(.domain(.suspend(try fixture.change(by: owner, target: driver))))
            else {
                Issue.record("a suspension was refused while an alarm stood")
                return
            }
            #expect(
                try apply(.domain(.resume(try fixture.change(by: owner, target: driver)))) == .noSpace(alarms: [alarm]))
            guard case .domain(.applied) = try apply(.domain(.revoke(try fixture.change(by: owner, target: driver))))
            else {
                Issue.record("a revocation was refused while an alarm stood")
                return
            }

            #expect(try apply(.storageAlarm(.clear(alarm))) == .done)
            guard
                case .domain(.applied) = try apply(
                    .domain(
                        try fixture.grantCommand(by: owner, to: guest, role: .guest, notAfter: fixture.now + 60_000)))
            else {
                Issue.record("a grant was refused after the alarm cleared")
                return
            }
            #expect(
                machine.snapshotDatabases.contains { $0 == machine.alarms }, "alarms travel in snapshots and backups")
        }
    }
}
