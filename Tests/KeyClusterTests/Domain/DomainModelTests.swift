import Crypto
import Foundation
import Testing

@testable import KeyCluster

@Suite("domain model values")
struct DomainModelTests {
    @Test(
        "a VIN is 17 capital letters and digits without I, O or Q",
        arguments: [
            ("1HGCM82633A004352", true), ("WVWZZZ1JZXW000001", true), ("1HGCM82633A00435", false),
            ("1HGCM82633A0043521", false), ("1HGCM82633A00435I", false), ("1HGCM82633A00435O", false),
            ("1HGCM82633A00435Q", false), ("1hgcm82633a004352", false), ("1HGCM82633A00435 ", false), ("", false),
        ])
    func vinFormat(text: String, valid: Bool) {
        #expect(((try? VIN(validating: text)) != nil) == valid)
    }

    @Test("decoding a command with a malformed VIN fails with the field named, not a crash")
    func malformedVINInJSON() throws {
        let target = String(repeating: "a", count: KeyID.hexLength)
        let json =
            #"{"forceRevoke":{"_0":{"vin":"NOT-A-VIN","target":"\#(target)","operatorName":"ops","timestampUnixMs":1}}}"#
        #expect(throws: DecodingError.self) { try DomainCoding.decode(DomainCommand.self, from: Array(json.utf8)) }
    }

    @Test("a key id is the lowercase hex SHA-256 of the uncompressed X9.63 public key")
    func keyIDDerivation() throws {
        let key = P256.Signing.PrivateKey().publicKey
        let expected = SHA256.hash(data: key.x963Representation).map { String(format: "%02x", $0) }.joined()
        #expect(KeyPublicKey(key).keyID.text == expected)
        #expect(try KeyID(validating: expected) == KeyPublicKey(key).keyID)
        #expect(throws: DomainInputError.self) { try KeyID(validating: expected.uppercased()) }
        #expect(throws: DomainInputError.self) { try KeyID(validating: String(expected.dropLast())) }
    }

    @Test("a public key must be an uncompressed P-256 point")
    func publicKeyFormat() throws {
        let key = P256.Signing.PrivateKey().publicKey
        #expect(throws: DomainInputError.self) { try KeyPublicKey(x963: Array(key.compressedRepresentation)) }
        #expect(throws: DomainInputError.self) { try KeyPublicKey(x963: [0x04] + [UInt8](repeating: 7, count: 64)) }
        let decoded = try DomainCoding.decode(KeyPublicKey.self, from: DomainCoding.encode(KeyPublicKey(key)))
        #expect(decoded == KeyPublicKey(key))
        #expect(throws: DecodingError.self) {
            try DomainCoding.decode(KeyPublicKey.self, from: Array(#""bm90IGEga2V5""#.utf8))
        }
    }

    @Test("a nonce is 16–64 base64url characters")
    func nonceFormat() {
        #expect((try? Nonce(validating: String(repeating: "a", count: DomainLimits.minNonceLength))) != nil)
        #expect((try? Nonce(validating: String(repeating: "-", count: DomainLimits.maxNonceLength))) != nil)
        #expect((try? Nonce(validating: String(repeating: "a", count: DomainLimits.minNonceLength - 1))) == nil)
        #expect((try? Nonce(validating: String(repeating: "a", count: DomainLimits.maxNonceLength + 1))) == nil)
        #expect((try? Nonce(validating: "abcdefghijklmno\n")) == nil)
        #expect((try? Nonce(validating: "abcdefghijklmno+")) == nil)
    }

    @Test("permissions encode in one fixed order, whatever order they were given in")
    func permissionsEncoding() throws {
        let shuffled = Permissions([.charge, .unlock, .drive])
        #expect(String(decoding: DomainCoding.encode(shuffled), as: UTF8.self) == #"["unlock","drive","charge"]"#)
        #expect(
            try DomainCoding.decode(Permissions.self, from: Array(#"["charge","drive","unlock","unlock"]"#.utf8))
                == shuffled)
        #expect(throws: DecodingError.self) { try DomainCoding.decode(Permissions.self, from: Array(#"["fly"]"#.utf8)) }
    }

    @Test("every role's defaults lie within its maximum; only owners manage keys; only guests must expire")
    func roles() {
        for role in Role.allCases {
            #expect(role.maximumPermissions.isSuperset(of: role.defaultPermissions), "\(role)")
            #expect(role.managesKeys == (role == .owner))
            #expect(role.mustExpire == (role == .guest))
        }
        #expect(Role.owner.maximumPermissions == .all)
    }

    @Test("a decision allows only an active grant, inside its window, holding the permission")
    func authorizationDecision() throws {
        let vin = try VIN(validating: "1HGCM82633A004352")
        let key = TestKey()
        let operatorName = try OperatorName(validating: "ops")
        func grant(_ status: GrantStatus, permissions: Permissions = [.unlock]) -> Grant {
            Grant(
                vin: vin, publicKey: key.publicKey, formFactor: .card, role: .guest, permissions: permissions,
                notBeforeUnixMs: 1000, notAfterUnixMs: 2000, grantedBy: .operator(operatorName), grantedAtUnixMs: 0,
                revision: 1, status: status)
        }
        #expect(
            AuthorizationDecision.decide(grant: grant(.active), permission: .unlock, atUnixMs: 1000)
                == .allowed(grant(.active)))
        #expect(
            AuthorizationDecision.decide(grant: grant(.active), permission: .unlock, atUnixMs: 999)
                == .denied(.notYetValid))
        #expect(
            AuthorizationDecision.decide(grant: grant(.active), permission: .unlock, atUnixMs: 2000)
                == .denied(.expired))
        #expect(
            AuthorizationDecision.decide(grant: grant(.active), permission: .drive, atUnixMs: 1500)
                == .denied(.permissionMissing))
        #expect(
            AuthorizationDecision.decide(grant: grant(.suspended), permission: .unlock, atUnixMs: 1500)
                == .denied(.suspended))
        #expect(
            AuthorizationDecision.decide(grant: grant(.revoked), permission: .unlock, atUnixMs: 1500)
                == .denied(.noGrant))
        #expect(AuthorizationDecision.decide(grant: nil, permission: .unlock, atUnixMs: 1500) == .denied(.noGrant))
    }
}
