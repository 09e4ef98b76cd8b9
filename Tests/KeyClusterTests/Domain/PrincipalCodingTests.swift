import Foundation
import TestSupport
import Testing

@testable import KeyCluster

/// `Principal` keeps its stored form byte for byte (the log and LMDB hold it; members of mixed versions
/// must agree) and answers users in a plain API form.
@Suite("Principal coding")
struct PrincipalCodingTests {
    let admin: Principal
    let key: Principal
    let keyID: KeyID

    init() throws {
        admin = .operator(try OperatorName(validating: "admin"))
        keyID = KeyHolder().keyID
        key = .key(keyID)
    }

    @Test("the stored form is the one Swift synthesized: records written before stay readable, new ones identical")
    func storedForm() throws {
        #expect(String(decoding: DomainCoding.encode(admin), as: UTF8.self) == #"{"operator":{"_0":"admin"}}"#)
        #expect(String(decoding: DomainCoding.encode(key), as: UTF8.self) == #"{"key":{"_0":"\#(keyID.text)"}}"#)
        #expect(try DomainCoding.decode(Principal.self, from: Array(#"{"operator":{"_0":"admin"}}"#.utf8)) == admin)
        #expect(try DomainCoding.decode(Principal.self, from: Array(#"{"key":{"_0":"\#(keyID.text)"}}"#.utf8)) == key)
    }

    @Test("the API form names the kind and the name or key id, and decodes back")
    func apiForm() throws {
        let encoder = APIEncoding.encoder()
        encoder.outputFormatting.insert(.sortedKeys)
        #expect(String(decoding: try encoder.encode(admin), as: UTF8.self) == #"{"kind":"operator","name":"admin"}"#)
        #expect(String(decoding: try encoder.encode(key), as: UTF8.self) == #"{"keyID":"\#(keyID.text)","kind":"key"}"#)
        for principal in [admin, key] {
            #expect(try JSONDecoder().decode(Principal.self, from: try encoder.encode(principal)) == principal)
        }
    }

    @Test("bad input in either form is refused, not guessed")
    func badInput() {
        for bad in [
            #"{"kind":"robot","name":"x"}"#, #"{"kind":"operator"}"#, #"{"kind":"key","keyID":"nothex"}"#, #"{}"#,
            #"{"operator":{}}"#,
        ] {
            #expect(throws: (any Error).self, "\(bad)") {
                try JSONDecoder().decode(Principal.self, from: Data(bad.utf8))
            }
        }
    }
}
