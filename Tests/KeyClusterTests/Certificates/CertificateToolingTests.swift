import ClusterIdentity
import Foundation
import KeyCluster
import TestSupport
import Testing
import X509

/// The deployment's certificate tooling (`keycluster certs …` over `CertificateDirectory`): what it writes,
/// with which modes and names, and what it refuses.
@Suite("certificate tooling")
struct CertificateToolingTests {
    private func mode(of path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    private func certificate(at path: String) throws -> Certificate {
        try Certificate(pemEncoded: String(contentsOfFile: path, encoding: .utf8))
    }

    /// Runs `keycluster` with `arguments` and returns its exit status and output.
    private func keycluster(_ arguments: [String]) async throws -> (status: Int32, output: [String]) {
        let child = try ChildProcess(executable: try KeyClusterBinary.path(), arguments: arguments)
        var lines: [String] = []
        for await line in child.outputLines { lines.append(line) }
        return (child.waitUntilExit().status, lines)
    }

    @Test("the CLI makes a CA, a member and an operator certificate: keys 0600, names inside, chained to the CA")
    func commandLineIssuesACluster() async throws {
        try await TemporaryDirectory.with("certs") { directory in
            let dir = directory.appending("ca")
            #expect(try await keycluster(["certs", "ca", "--dir", dir]).status == 0)
            #expect(
                try await keycluster([
                    "certs", "node", "--dir", dir, "--id", "2", "--region", "us-east",
                    "--host", "kc2.example.net", "--host", "10.1.2.3", "--host", "fd00::2",
                ]).status == 0)
            #expect(try await keycluster(["certs", "operator", "--dir", dir, "--name", "alice"]).status == 0)

            let files = CertificateDirectory(path: dir)
            for key in [
                files.caPrivateKeyPath, files.nodeFiles(of: 2).privateKey,
                files.operatorFiles(named: "alice").privateKey,
            ] {
                #expect(try mode(of: key) == 0o600, "\(key) must be readable by its owner only")
            }
            #expect(try mode(of: dir) == 0o700)

            let ca = try certificate(at: files.caCertificatePath)
            let node = try certificate(at: files.nodeFiles(of: 2).certificate)
            let names = try #require(try node.extensions.subjectAlternativeNames)
            #expect(names.contains(.uniformResourceIdentifier(ClusterIdentity.node(2).uri)))
            #expect(names.contains(.uniformResourceIdentifier(ClusterIdentity.region("us-east").uri)))
            #expect(names.contains(.dnsName("kc2.example.net")))
            #expect(names.contains(.ipAddress(.init(contentBytes: [10, 1, 2, 3]))))
            #expect(names.contains(.ipAddress(.init(contentBytes: [0xfd, 0] + Array(repeating: 0, count: 13) + [2]))))
            #expect(!names.contains(.dnsName("localhost")), "explicit hosts replace the loopback defaults")
            for leaf in [node, try certificate(at: files.operatorFiles(named: "alice").certificate)] {
                #expect(leaf.issuer == ca.subject)
                #expect(ca.publicKey.isValidSignature(leaf.signature, for: leaf))
            }

            let shown = try await keycluster(["certs", "show", files.nodeFiles(of: 2).certificate])
            #expect(shown.status == 0)
            #expect(shown.output.contains("name:     URI urn:keycluster:node:2"))
            #expect(shown.output.contains("name:     IP 10.1.2.3"))
            #expect(shown.output.contains("name:     IP fd00::2"))
        }
    }

    @Test("refusals: a second CA over the first, a host that is not a name, a bad region, no CA at all")
    func refusalsChangeNothing() async throws {
        try await TemporaryDirectory.with("certs") { directory in
            let files = CertificateDirectory(path: directory.appending("ca"))
            #expect(throws: CertificateDirectory.Refusal.self) { try files.issueOperator(name: "bob") }
            try files.createCA()
            let original = try String(contentsOfFile: files.caCertificatePath, encoding: .utf8)
            #expect(throws: CertificateDirectory.Refusal.self) { try files.createCA() }
            #expect(
                try String(contentsOfFile: files.caCertificatePath, encoding: .utf8) == original,
                "the CA must not be replaced")

            #expect(throws: IssuerError.invalidHost("not a host")) {
                try files.issueNode(id: 1, region: "eu", hosts: ["not a host"])
            }
            #expect(throws: IssuerError.hostCount(0)) { try files.issueNode(id: 1, region: "eu", hosts: []) }
            #expect(throws: CertificateDirectory.Refusal.self) { try files.issueNode(id: 1, region: "eu west") }
            #expect(throws: CertificateDirectory.Refusal.self) { try files.issueNode(id: 0, region: "eu") }
            #expect(
                !FileManager.default.fileExists(atPath: files.nodeFiles(of: 1).certificate),
                "a refused issue writes nothing")

            let status = try await keycluster(["certs", "ca", "--dir", files.path]).status
            #expect(status != 0, "the CLI reports the refusal with a failing exit status")
        }
    }
}
