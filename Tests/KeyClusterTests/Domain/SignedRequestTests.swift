import Crypto
import Foundation
import Testing

@testable import KeyCluster

@Suite("signed requests")
struct DomainSignedRequestTests {
    let key = TestKey()
    let now: Int64 = 1_800_000_000_000
    let vin: VIN
    let nonce: Nonce

    init() throws {
        vin = try VIN(validating: "1HGCM82633A004352")
        nonce = try Nonce(validating: "n0nce-0123456789abcdef")
    }

    func request(
        method: String = "POST", path: String = "/v1/vehicles/1HGCM82633A004352/unlock", vin: VIN? = nil,
        keyID: KeyID? = nil,
        command: String = "unlock", timestamp: Int64? = nil, nonce: Nonce? = nil,
        body: String = #"{"command":"unlock"}"#
    ) throws -> SignedRequest {
        try SignedRequest(
            method: method, path: path, vin: vin ?? self.vin, keyID: keyID ?? key.id, command: command,
            timestampUnixMs: timestamp ?? now, nonce: nonce ?? self.nonce, body: Array(body.utf8))
    }

    @Test("the canonical string is the nine documented lines joined by LF")
    func canonicalForm() throws {
        let signed = try request()
        let bodyHash = SHA256.hash(data: Array(#"{"command":"unlock"}"#.utf8)).map { String(format: "%02x", $0) }
            .joined()
        let expected = [
            "KEYCLUSTER-REQUEST-V1", "POST", "/v1/vehicles/1HGCM82633A004352/unlock", "1HGCM82633A004352", key.id.text,
            "unlock",
            "1800000000000", "n0nce-0123456789abcdef", bodyHash,
        ].joined(separator: "\n")
        #expect(String(decoding: signed.canonicalBytes, as: UTF8.self) == expected)
    }

    @Test("a request signed by the key verifies")
    func validSignature() throws {
        let signed = try request()
        try signed.verify(
            signatureBase64: signed.signature(with: key.privateKey), publicKey: key.publicKey, nowUnixMs: now)
    }

    @Test("changing any signed field breaks the signature")
    func everyFieldIsBound() throws {
        let signature = try request().signature(with: key.privateKey)
        let altered = [
            try request(method: "PUT"), try request(path: "/v1/vehicles/1HGCM82633A004352/lock"),
            try request(vin: VIN(validating: "WVWZZZ1JZXW000001")), try request(command: "lock"),
            try request(timestamp: now + 1), try request(nonce: Nonce(validating: "n0nce-0123456789abcdeF")),
            try request(body: #"{"command":"unlock" }"#),
        ]
        for request in altered {
            #expect(throws: SignedRequestError.badSignature) {
                try request.verify(signatureBase64: signature, publicKey: key.publicKey, nowUnixMs: now)
            }
        }
        let otherKey = TestKey()
        #expect(throws: SignedRequestError.keyMismatch) {
            try request(keyID: otherKey.id).verify(signatureBase64: signature, publicKey: key.publicKey, nowUnixMs: now)
        }
        #expect(throws: SignedRequestError.badSignature) {
            try request(keyID: otherKey.id).verify(
                signatureBase64: signature, publicKey: otherKey.publicKey, nowUnixMs: now)
        }
    }

    @Test("timestamps up to ±30 s from the node's clock are accepted, beyond are refused")
    func clockSkew() throws {
        let signed = try request()
        let signature = try signed.signature(with: key.privateKey)
        let window = DomainLimits.maxClockSkewSeconds * 1000
        #expect(window == 30_000)
        for nodeNow in [now - window, now + window] {
            try signed.verify(signatureBase64: signature, publicKey: key.publicKey, nowUnixMs: nodeNow)
        }
        #expect(throws: SignedRequestError.timestampOutOfWindow(skewMs: window + 1)) {
            try signed.verify(signatureBase64: signature, publicKey: key.publicKey, nowUnixMs: now - window - 1)
        }
        #expect(throws: SignedRequestError.timestampOutOfWindow(skewMs: -window - 1)) {
            try signed.verify(signatureBase64: signature, publicKey: key.publicKey, nowUnixMs: now + window + 1)
        }
    }

    @Test("a malformed or oversized signature is refused as malformed")
    func malformedSignature() throws {
        let signed = try request()
        let oversized = String(repeating: "A", count: DomainLimits.maxSignatureBase64Length + 4)
        for bad in ["", "not base64!", Data("short".utf8).base64EncodedString(), oversized] {
            #expect(throws: SignedRequestError.malformedSignature) {
                try signed.verify(signatureBase64: bad, publicKey: key.publicKey, nowUnixMs: now)
            }
        }
    }

    @Test(
        "fields that could shift the canonical lines are refused",
        arguments: [
            ("post", "/x", "unlock"), ("POST", "/x\nPOST", "unlock"), ("POST", "/x y", "unlock"),
            ("POST", "x", "unlock"),
            ("POST", "/x", "un\nlock"), ("POST", "/x", ""), ("", "/x", "unlock"),
        ])
    func fieldValidation(method: String, path: String, command: String) {
        #expect(throws: DomainInputError.self) { try request(method: method, path: path, command: command) }
    }

    @Test("text bounds: path, method and command lengths and the timestamp range")
    func fieldBounds() {
        #expect(throws: DomainInputError.self) {
            try request(path: "/" + String(repeating: "a", count: DomainLimits.maxPathLength))
        }
        #expect(throws: DomainInputError.self) {
            try request(method: String(repeating: "A", count: DomainLimits.maxMethodLength + 1))
        }
        let longCommand = String(repeating: "a", count: DomainLimits.maxCommandNameLength + 1)
        #expect(throws: DomainInputError.self) { try request(command: longCommand) }
        #expect(throws: DomainInputError.self) { try request(timestamp: -1) }
        #expect(throws: DomainInputError.self) { try request(timestamp: DomainLimits.maxTimestampUnixMs + 1) }
    }
}
