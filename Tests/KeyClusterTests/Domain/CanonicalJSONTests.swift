import Foundation
import Storage
import TestSupport
import Testing

@testable import KeyCluster

/// The hand-written JSON of records and commands (`CanonicalJSON`) must write exactly the bytes the sorted
/// `Codable` encoder writes — stored records of this version and the last must be identical, or members of
/// mixed versions would hold different replicated state — and must read back exactly what it wrote, leaving
/// every other form to `JSONDecoder`.
@Suite("canonical JSON of records and commands")
struct CanonicalJSONTests {
    /// What the previous version stored: the sorted `Codable` encoding.
    static func codable(_ value: some Encodable) throws -> [UInt8] { Array(try DomainCoding.encoder.encode(value)) }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    let vin: VIN
    let otherVIN: VIN
    let operatorName: OperatorName

    init() throws {
        vin = try VIN(validating: "1HGCM82633A004352")
        otherVIN = try VIN(validating: "WVWZZZ1JZXW000001")
        operatorName = try OperatorName(validating: "ops.alice-1_x")
    }

    /// Grants over every role, status, form factor and granter kind, with and without each window bound,
    /// permission sets from none to all, and extreme numbers.
    func grants() -> [Grant] {
        let key = TestKey()
        let permissionSets: [Permissions] = [[], .unlock, [.lock, .charge], .all, Permissions(rawValue: 0b101010)]
        let windows: [(Int64?, Int64?)] = [
            (nil, nil), (1_800_000_000_000, nil), (nil, 1_800_000_000_001), (0, .max), (.min, -1),
        ]
        var grants: [Grant] = []
        for (index, role) in Role.allCases.enumerated() {
            for status in [GrantStatus.active, .suspended, .revoked] {
                let window = windows[(index + grants.count) % windows.count]
                grants.append(
                    Grant(
                        vin: grants.count % 2 == 0 ? vin : otherVIN, publicKey: key.publicKey,
                        formFactor: FormFactor.allCases[grants.count % FormFactor.allCases.count], role: role,
                        permissions: permissionSets[grants.count % permissionSets.count], notBeforeUnixMs: window.0,
                        notAfterUnixMs: window.1,
                        grantedBy: grants.count % 3 == 0 ? .operator(operatorName) : .key(TestKey().id),
                        grantedAtUnixMs: grants.count % 4 == 0 ? .max : Int64(grants.count),
                        revision: grants.count % 5 == 0 ? .max : UInt64(grants.count),
                        status: status))
            }
        }
        return grants
    }

    func signature(_ index: Int) throws -> DomainCommand.KeySignature {
        .init(
            keyID: TestKey().id, nonce: try Nonce(validating: "nonce-\(index)-abcdefghijkl"),
            timestampUnixMs: Int64(index) * 7, decidedAtUnixMs: .max - Int64(index))
    }

    func commands() throws -> [DomainCommand] {
        let key = TestKey()
        var commands: [DomainCommand] = [
            .registerVehicle(
                .init(
                    vin: vin, ownerKey: key.publicKey, ownerFormFactor: .card, operatorName: operatorName,
                    timestampUnixMs: 5)),
            .forceRevoke(.init(vin: vin, target: key.id, operatorName: operatorName, timestampUnixMs: 0)),
            .recoverOwnership(
                .init(
                    vin: vin, ownerKey: key.publicKey, ownerFormFactor: .fob, operatorName: operatorName,
                    reason: "lost \"phone\" \\ on 1/2 — ünïcødé\n\tline\u{1}\u{1f}\u{7f}😀", timestampUnixMs: 9)),
        ]
        for (index, permissions) in [nil, Permissions(), .all, [.drive, .trunk]].enumerated() {
            commands.append(
                .grant(
                    .init(
                        vin: vin, signer: try signature(index), publicKey: TestKey().publicKey, formFactor: .phone,
                        role: Role.allCases[index],
                        permissions: permissions, notBeforeUnixMs: index % 2 == 0 ? nil : -5,
                        notAfterUnixMs: index < 2 ? nil : 1_800_000_000_000)))
        }
        let change = DomainCommand.ChangeKey(vin: otherVIN, signer: try signature(9), target: key.id)
        commands += [.revoke(change), .suspend(change), .resume(change)]
        return commands
    }

    @Test("every string byte is escaped as Foundation's encoder escapes it")
    func escaping() throws {
        var characters = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        characters += ["é", "\u{2028}", "\u{fffd}", "😀", "a/b", "\"\\"]
        for character in characters {
            var writer = CanonicalJSON.Writer()
            writer.array { $0.string(character) }
            #expect(writer.bytes == (try Self.codable([character])), "\(Array(character.utf8))")
        }
    }

    @Test("records are written byte for byte as the sorted Codable encoding writes them")
    func recordsMatchCodable() throws {
        for grant in grants() {
            #expect(DomainCoding.encode(grant) == (try Self.codable(grant)), "\(Self.text(DomainCoding.encode(grant)))")
        }
        for vehicle in [
            Vehicle(vin: vin, registeredBy: operatorName, registeredAtUnixMs: 1_800_000_000_000, revision: 3),
            Vehicle(vin: otherVIN, registeredBy: operatorName, registeredAtUnixMs: .min, revision: .max),
        ] {
            #expect(DomainCoding.encode(vehicle) == (try Self.codable(vehicle)))
        }
        for principal in [Principal.key(TestKey().id), .operator(operatorName)] {
            #expect(DomainCoding.encode(principal) == (try Self.codable(principal)))
        }
        for reason in [nil, "", "a reason with \"quotes\", a \\ and a\nbreak"] {
            let record = StoredAuditRecord(
                revision: 12, action: .recoverOwnership, actor: .operator(operatorName), target: TestKey().id,
                timestampUnixMs: 1_800_000_000_000, reason: reason)
            #expect(DomainCoding.encode(record) == (try Self.codable(record)))
        }
    }

    @Test("commands and results are written as the sorted Codable encoding writes them, and read back")
    func commandsAndResults() throws {
        for command in try commands() {
            let encoded = try ServiceCommand.domain(command).encoded()
            #expect(encoded == (try Self.codable(ServiceCommand.domain(command))), "\(Self.text(encoded))")
            #expect(try ServiceCommand(decoding: encoded) == .domain(command))
        }
        let refusal = DomainResult.refused(DomainRefusal(.invalidCommand, "role guest cannot carry [\"charge\"]\u{0}"))
        for result in grants().map({ DomainResult.applied(revision: $0.revision, grant: $0) }) + [refusal] {
            let encoded = try ServiceResult.domain(result).encoded()
            #expect(encoded == (try Self.codable(ServiceResult.domain(result))))
            #expect(try ServiceResult(decoding: encoded) == .domain(result))
        }
        for other in [ServiceResult.done, .counter(value: 3), .refused(reason: "no")] {
            #expect(try ServiceResult(decoding: other.encoded()) == other)
        }
    }

    @Test("a grant's stored bytes spliced into its result give the result's own encoding")
    func splicedResult() throws {
        for grant in grants() {
            let result = ServiceResult.domain(.applied(revision: 7, grant: grant))
            #expect(try result.encoded(grantJSON: DomainCoding.encode(grant)) == result.encoded())
        }
    }

    @Test("the canonical reader reads what the writer wrote, through the fast path")
    func fastPathReadsCanonical() throws {
        for grant in grants() {
            #expect(Grant(canonicalJSON: DomainCoding.encode(grant)) == grant)
        }
        let vehicle = Vehicle(vin: vin, registeredBy: operatorName, registeredAtUnixMs: 0, revision: 0)
        #expect(Vehicle(canonicalJSON: DomainCoding.encode(vehicle)) == vehicle)
        for command in try commands() {
            guard case .grant = command else { continue }
            #expect(DomainCommand(canonicalJSON: DomainCoding.encode(command)) == command)
        }
        for command in try commands() {
            if case .revoke = command { #expect(DomainCommand(canonicalJSON: DomainCoding.encode(command)) == command) }
        }
    }

    /// Anything but the canonical form goes to `JSONDecoder`: the fast path must refuse it, never misread it.
    @Test("other forms are left to JSONDecoder, which reads them to the same value")
    func otherFormsFallBack() throws {
        let grant = grants()[3]
        #expect(grant.revision == 3 && grant.vin == otherVIN)
        let canonical = Self.text(DomainCoding.encode(grant))
        let unsorted = JSONEncoder()
        let variants = [
            Self.text(Array(try unsorted.encode(grant))),  // an older member's key order, escaped slashes
            canonical.replacingOccurrences(of: ",", with: ", "),  // whitespace
            canonical.replacingOccurrences(of: "\"revision\":3", with: "\"revision\":3.0"),
            canonical.replacingOccurrences(of: "\"revision\":3", with: "\"revision\":3e0"),
            canonical.replacingOccurrences(of: "\"vin\":\"W", with: "\"vin\":\"\\u0057"),  // an escape
        ]
        for variant in variants {
            let bytes = Array(variant.utf8)
            #expect(Grant(canonicalJSON: bytes) == nil, "\(variant)")
            let expected = try? DomainCoding.storedDecoder.decode(Grant.self, from: Data(bytes))
            #expect((try? DomainCoding.decode(Grant.self, from: bytes)) == expected)
        }
        for number in ["03", "-0", "18446744073709551616", "1-"] {
            let bytes = Array(canonical.replacingOccurrences(of: "\"revision\":3", with: "\"revision\":\(number)").utf8)
            #expect(Grant(canonicalJSON: bytes) == nil, "\(number)")
        }
        let command = try commands()[4]
        let older = Array(try unsorted.encode(ServiceCommand.domain(command)))
        #expect(try ServiceCommand(decoding: older) == .domain(command))
        let debugPut = ServiceCommand.debugPut(key: "k", value: "v")
        #expect(try ServiceCommand(decoding: debugPut.encoded()) == debugPut)
    }

    /// (0, 1) is on P-256 only if its constant b were 1: it is not.
    static let offCurve =
        [UInt8(0x04)] + [UInt8](repeating: 0, count: 31) + [1] + [UInt8](repeating: 0, count: 31) + [1]

    @Test(
        "a stored key is read as stored; a key from a request must be a P-256 point; a stored key that is not verifies nothing"
    )
    func storedKeysFailClosed() throws {
        let offCurve = Self.offCurve
        #expect(throws: DomainInputError.self) { try KeyPublicKey(x963: offCurve) }
        let stored = try KeyPublicKey(storedX963: offCurve)
        let json = Array(#"["\#(stored.base64)"]"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([KeyPublicKey].self, from: Data(json)) }
        #expect(try DomainCoding.storedDecoder.decode([KeyPublicKey].self, from: Data(json)) == [stored])
        let signer = TestKey()
        let request = try SignedRequest(
            method: "POST", path: "/v1/vehicles/\(vin.text)/keys", vin: vin, keyID: stored.keyID, command: "grant",
            timestampUnixMs: 1_800_000_000_000, nonce: try Nonce(validating: "nonce-for-an-off-curve-key"),
            body: [UInt8]())
        let signature = try request.signature(with: signer.privateKey)
        #expect(throws: SignedRequestError.badSignature) {
            try request.verify(signatureBase64: signature, publicKey: stored, nowUnixMs: 1_800_000_000_000)
        }
    }

    /// Two fresh state machines, for the two forms of one command.
    func twoMachines(in directory: TemporaryDirectory) throws -> (
        environments: [Environment], machines: [ServiceStateMachine]
    ) {
        let environments = try ["older", "canonical"].map {
            try Environment(path: directory.appending($0), options: EnvironmentOptions(durability: .noSync))
        }
        return (environments, try environments.map { try ServiceStateMachine(environment: $0) })
    }

    func state(of machine: ServiceStateMachine, in environment: Environment) throws -> [[[UInt8]]] {
        try environment.read { txn in
            try machine.snapshotDatabases.map { try txn.entries($0).map { $0.key + [0xFF] + $0.value } }
        }
    }

    @Test(
        "a grant of a key that is not a P-256 point is refused as undecodable in either form, as earlier versions refuse it, and changes nothing"
    )
    func commandKeysAreChecked() throws {
        let directory = try TemporaryDirectory("command-keys")
        defer { directory.remove() }
        let (environments, machines) = try twoMachines(in: directory)
        let owner = TestKey()
        let now: Int64 = 1_800_000_000_000
        let register = ServiceCommand.domain(
            .registerVehicle(
                .init(
                    vin: vin, ownerKey: owner.publicKey, ownerFormFactor: .phone, operatorName: operatorName,
                    timestampUnixMs: now)))
        let grant = ServiceCommand.domain(
            .grant(
                .init(
                    vin: vin,
                    signer: .init(
                        keyID: owner.id, nonce: try Nonce(validating: UUID().uuidString), timestampUnixMs: now,
                        decidedAtUnixMs: now),
                    publicKey: try KeyPublicKey(storedX963: Self.offCurve), formFactor: .phone, role: .driver)))
        var refusals: [ServiceResult] = []
        for (index, form) in [try OlderJSONForm.rewrite(try grant.encoded()), try grant.encoded()].enumerated() {
            try environments[index].write { txn in _ = try machines[index].apply(try register.encoded(), at: 1, in: txn)
            }
            let before = try state(of: machines[index], in: environments[index])
            let answer = try environments[index].write { txn in try machines[index].apply(form, at: 2, in: txn) }
            refusals.append(try ServiceResult(decoding: answer))
            #expect(try state(of: machines[index], in: environments[index]) == before)
        }
        guard case .refused(let reason) = refusals[1] else {
            Issue.record("a grant of a key that is not a point was not refused: \(refusals[1])")
            return
        }
        #expect(reason.hasPrefix("undecodable command") && reason.contains("not a point on P-256"))
        #expect(refusals[0] == refusals[1])
    }

    @Test(
        "a command in an older member's form (unsorted keys, escaped slashes) applies as the canonical one: same answer, same state"
    )
    func olderCommandFormAppliesAlike() throws {
        let directory = try TemporaryDirectory("command-forms")
        defer { directory.remove() }
        let (environments, machines) = try twoMachines(in: directory)
        let owner = TestKey()
        let driver = TestKey()
        let now: Int64 = 1_800_000_000_000
        func signer() throws -> DomainCommand.KeySignature {
            .init(
                keyID: owner.id, nonce: try Nonce(validating: UUID().uuidString), timestampUnixMs: now,
                decidedAtUnixMs: now)
        }
        let commands: [DomainCommand] = [
            .registerVehicle(
                .init(
                    vin: vin, ownerKey: owner.publicKey, ownerFormFactor: .phone, operatorName: operatorName,
                    timestampUnixMs: now)),
            .grant(
                .init(
                    vin: vin, signer: try signer(), publicKey: driver.publicKey, formFactor: .fob, role: .guest,
                    notAfterUnixMs: now + 1)),
            .suspend(.init(vin: vin, signer: try signer(), target: driver.id)),
            .revoke(.init(vin: vin, signer: try signer(), target: driver.id)),
            .grant(
                .init(
                    vin: vin, signer: try signer(), publicKey: driver.publicKey, formFactor: .phone, role: .driver,
                    permissions: .all)),
            .recoverOwnership(
                .init(
                    vin: vin, ownerKey: driver.publicKey, ownerFormFactor: .card, operatorName: operatorName,
                    reason: "a \"reason\"",
                    timestampUnixMs: now)),
            .forceRevoke(.init(vin: vin, target: owner.id, operatorName: operatorName, timestampUnixMs: now)),
        ]
        for (offset, command) in commands.enumerated() {
            let canonical = try ServiceCommand.domain(command).encoded()
            let forms = [try OlderJSONForm.rewrite(canonical), canonical]
            #expect(forms[0] != forms[1])
            #expect(
                try JSONDecoder().decode(ServiceCommand.self, from: Data(forms[0])) == ServiceCommand.domain(command))
            let results = try zip(machines, zip(environments, forms)).map { machine, target in
                try target.0.write { txn in try machine.apply(target.1, at: UInt64(offset + 1), in: txn) }
            }
            #expect(results[0] == results[1])
            guard case .domain(.applied) = try ServiceResult(decoding: results[1]) else {
                Issue.record("\(command) was not applied")
                return
            }
        }
        #expect(try state(of: machines[0], in: environments[0]) == state(of: machines[1], in: environments[1]))
    }
}
