import Crypto
import Foundation
import Storage
import TestSupport

@testable import KeyCluster

/// A key holder: a P-256 key pair, as a phone's secure element would make.
struct TestKey {
    let privateKey = P256.Signing.PrivateKey()
    var publicKey: KeyPublicKey { KeyPublicKey(privateKey.publicKey) }
    var id: KeyID { publicKey.keyID }
}

/// A fresh store in a temporary LMDB environment, a vehicle and an operator, and helpers that apply
/// commands at increasing revisions the way the state machine would.
final class DomainFixture {
    let directory: TemporaryDirectory
    let environment: Environment
    let store: KeyAuthorizationStore
    let vin: VIN
    let operatorName: OperatorName
    /// The commands' "now": a fixed Unix-ms time, so tests never read a clock.
    let now: Int64 = 1_800_000_000_000
    private(set) var revision: UInt64 = 0

    init(maxKeysPerVehicle: Int = DomainLimits.defaultMaxKeysPerVehicle) throws {
        directory = try TemporaryDirectory("domain")
        environment = try Environment(
            path: directory.appending("lmdb"), options: EnvironmentOptions(durability: .noSync))
        store = try KeyAuthorizationStore(environment: environment, maxKeysPerVehicle: maxKeysPerVehicle)
        vin = try VIN(validating: "1HGCM82633A004352")
        operatorName = try OperatorName(validating: "ops-alice")
    }

    /// Runs `body` with a fixture and removes its directory afterwards, whatever happens.
    static func with<R>(
        maxKeysPerVehicle: Int = DomainLimits.defaultMaxKeysPerVehicle, _ body: (DomainFixture) throws -> R
    ) throws -> R {
        let fixture = try DomainFixture(maxKeysPerVehicle: maxKeysPerVehicle)
        defer { fixture.directory.remove() }
        return try body(fixture)
    }

    @discardableResult
    func apply(_ command: DomainCommand) throws -> DomainResult {
        revision += 1
        let revision = self.revision
        return try environment.write { txn in try store.apply(command, at: revision, in: txn) }
    }

    /// Applies a command expected to succeed and returns the grant it changed.
    @discardableResult
    func applied(_ command: DomainCommand) throws -> Grant {
        let result = try apply(command)
        guard case .applied(_, let grant) = result else { throw UnexpectedResult(result: result) }
        return grant
    }

    /// Applies a command expected to be refused and returns the refusal's code, after checking that the
    /// store's bytes did not change.
    func refusal(_ command: DomainCommand) throws -> DomainRefusal.Code {
        let before = try snapshot()
        let result = try apply(command)
        let after = try snapshot()
        guard case .refused(let refusal) = result else { throw UnexpectedResult(result: result) }
        guard before == after else { throw RefusalChangedState(refusal: refusal) }
        return refusal.code
    }

    /// Every byte of every domain database.
    func snapshot() throws -> [[UInt8]] {
        try environment.read { txn in
            try store.databases.flatMap { database in
                try txn.entries(database).map { $0.key + [0xFF] + $0.value }
            }
        }
    }

    func read<R>(_ body: (borrowing ReadTransaction) throws -> R) throws -> R {
        try environment.read(body)
    }

    // MARK: Commands

    /// `time`: when the member decides (and, unless `requestTime` says otherwise, the request's timestamp).
    func signature(_ key: TestKey, at time: Int64? = nil, requestTime: Int64? = nil, nonce: Nonce? = nil) throws
        -> DomainCommand.KeySignature
    {
        DomainCommand.KeySignature(
            keyID: key.id, nonce: try nonce ?? Self.freshNonce(), timestampUnixMs: requestTime ?? time ?? now,
            decidedAtUnixMs: time ?? now)
    }

    static func freshNonce() throws -> Nonce { try Nonce(validating: UUID().uuidString) }

    func registerCommand(owner: TestKey, vin: VIN? = nil) -> DomainCommand {
        .registerVehicle(
            .init(
                vin: vin ?? self.vin, ownerKey: owner.publicKey, ownerFormFactor: .phone, operatorName: operatorName,
                timestampUnixMs: now))
    }

    func grantCommand(
        by signer: TestKey, to key: TestKey, role: Role, permissions: Permissions? = nil, notBefore: Int64? = nil,
        notAfter: Int64? = nil, at time: Int64? = nil, nonce: Nonce? = nil
    ) throws -> DomainCommand {
        .grant(
            .init(
                vin: vin, signer: try signature(signer, at: time, nonce: nonce), publicKey: key.publicKey,
                formFactor: .phone, role: role,
                permissions: permissions, notBeforeUnixMs: notBefore, notAfterUnixMs: notAfter))
    }

    /// Applies a grant by `signer` to a fresh key, expected to be refused; its refusal code.
    func refusedGrant(
        by signer: TestKey, role: Role, permissions: Permissions? = nil, notBefore: Int64? = nil,
        notAfter: Int64? = nil,
        at time: Int64? = nil
    ) throws -> DomainRefusal.Code {
        try refusal(
            grantCommand(
                by: signer, to: TestKey(), role: role, permissions: permissions, notBefore: notBefore,
                notAfter: notAfter, at: time))
    }

    func forceRevokeCommand(_ target: TestKey, vin: VIN? = nil) -> DomainCommand {
        .forceRevoke(.init(vin: vin ?? self.vin, target: target.id, operatorName: operatorName, timestampUnixMs: now))
    }

    func recordedNonceCount() throws -> Int { try read { txn in try store.recordedNonceCount(in: txn) } }

    func change(by signer: TestKey, target: TestKey, at time: Int64? = nil, nonce: Nonce? = nil) throws
        -> DomainCommand.ChangeKey
    {
        DomainCommand.ChangeKey(vin: vin, signer: try signature(signer, at: time, nonce: nonce), target: target.id)
    }

    /// Registers the vehicle with `owner` as its first owner.
    @discardableResult
    func register(owner: TestKey) throws -> Grant { try applied(registerCommand(owner: owner)) }

    func grant(_ key: TestKey) throws -> Grant? {
        try read { txn in try store.grant(vin, key.id, in: txn) }
    }

    func vehicle() throws -> Vehicle? { try read { txn in try store.vehicle(vin, in: txn) } }
}

struct UnexpectedResult: Error {
    let result: DomainResult
}

struct RefusalChangedState: Error {
    let refusal: DomainRefusal
}
