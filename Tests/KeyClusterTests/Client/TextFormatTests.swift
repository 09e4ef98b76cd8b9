import Foundation
import KeyCluster
import TestSupport
import Testing

/// The CLI's human output and argument forms.
@Suite("CLI text formats")
struct TextFormatTests {
    @Test("durations: seconds, minutes, hours, days; anything else is refused")
    func durations() {
        #expect(TextFormat.durationMilliseconds("90s") == 90_000)
        #expect(TextFormat.durationMilliseconds("30m") == 1_800_000)
        #expect(TextFormat.durationMilliseconds("2h") == 7_200_000)
        #expect(TextFormat.durationMilliseconds("7d") == 604_800_000)
        for bad in ["", "h", "0h", "-1h", "1w", "1.5h", "99999999999999999d"] {
            #expect(TextFormat.durationMilliseconds(bad) == nil, "\(bad)")
        }
    }

    @Test("a grant is one line: short key id, role, status, permissions, window, granter, revision")
    func grantLine() throws {
        let key = KeyHolder()
        let owner = KeyHolder()
        let grant = Grant(
            vin: try VIN(validating: "WVWZZZ1JZXW000001"), publicKey: key.publicKey, formFactor: .phone, role: .guest,
            permissions: [.unlock, .lock], notBeforeUnixMs: nil, notAfterUnixMs: 1_764_100_000_000,
            grantedBy: .key(owner.keyID),
            grantedAtUnixMs: 1_764_000_000_000, revision: 7, status: .active)
        #expect(
            TextFormat.grant(grant)
                == "\(key.keyID.text.prefix(16))  guest  active  unlock,lock  until 2025-11-25T19:46:40Z  "
                + "granted by key \(owner.keyID.text.prefix(16)), revision 7")
        #expect(TextFormat.window(notBeforeUnixMs: nil, notAfterUnixMs: nil) == "no expiry")
        #expect(TextFormat.permissions([]) == "-")
    }

    @Test("a client description round-trips, and a member configuration reads as one")
    func clientDescription() async throws {
        try await TemporaryDirectory.with("description") { temporary in
            let directory = temporary.path
            let description = ClientDescription(
                members: [.init(id: 1, region: "eu-west", clientAddress: "127.0.0.1:8201")], caCertificate: "/ca.pem",
                region: "eu-west",
                operatorCertificate: .init(certificate: "/op.pem", privateKey: "/op-key.pem"))
            try description.write(to: directory + "/client.json")
            #expect(try ClientDescription.load(from: directory + "/client.json") == description)
            let configuration = NodeConfiguration(
                id: 1, dataDirectory: "/data",
                members: [
                    .init(id: 1, region: "eu-west", peerAddress: "127.0.0.1:7201", clientAddress: "127.0.0.1:8201")
                ],
                tls: .init(
                    caCertificate: "/ca.pem", certificate: "/n.pem", privateKey: "/n-key.pem",
                    signingCertificate: "/s.pem", signingPrivateKey: "/s-key.pem"))
            try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: directory + "/node-1.json"))
            #expect(
                try ClientDescription.load(from: directory + "/node-1.json")
                    == ClientDescription(members: description.members, caCertificate: "/ca.pem"))
            #expect(throws: ClientDescription.Invalid.self) {
                try ClientDescription.load(from: directory + "/missing.json")
            }
        }
    }
}
