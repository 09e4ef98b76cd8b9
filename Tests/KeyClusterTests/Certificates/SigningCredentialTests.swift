import Foundation
import Logging
import Prometheus
import Testing

@testable import KeyCluster

/// The member's token-signing credential is renewed while it runs: a renewed pair is picked up, a pair that
/// does not check out is refused and the current one kept — never the TLS pair.
@Suite("token-signing credential renewal")
struct SigningCredentialTests {
    private func directory() throws -> CertificateDirectory {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("signing-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let directory = CertificateDirectory(path: path)
        _ = try directory.createCA()
        try directory.issueNode(id: 1, region: "eu")
        return directory
    }

    private func credential(_ directory: CertificateDirectory, files: CertificateDirectory.CredentialFiles) throws
        -> SigningCredential
    {
        try SigningCredential(
            nodeID: 1, certificatePath: files.certificate, privateKeyPath: files.privateKey,
            registry: PrometheusCollectorRegistry(), logger: Logger(label: "test"))
    }

    /// Replaces `target`'s files with `source`'s and moves their modification time forward (a renewal
    /// within the same second must still be seen).
    private func overwrite(
        _ target: CertificateDirectory.CredentialFiles, with source: CertificateDirectory.CredentialFiles, at date: Date
    ) throws {
        for (from, to) in [(source.certificate, target.certificate), (source.privateKey, target.privateKey)] {
            let contents = try Data(contentsOf: URL(fileURLWithPath: from))
            try contents.write(to: URL(fileURLWithPath: to), options: .atomic)
            try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: to)
        }
    }

    @Test("a member refuses to start with its TLS pair as the signing pair")
    func tlsPairRefused() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        #expect(throws: SigningCredential.Refusal.self) { try credential(directory, files: directory.nodeFiles(of: 1)) }
    }

    @Test("a renewed pair is picked up; a TLS pair written over it is refused and the current signer kept")
    func renewal() throws {
        let directory = try directory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let files = try directory.issueTokenSigner(id: 1)
        let credential = try credential(directory, files: files)
        let first = credential.current.certificateBase64

        try overwrite(files, with: directory.nodeFiles(of: 1), at: Date().addingTimeInterval(5))
        credential.reloadIfChanged()
        #expect(credential.current.certificateBase64 == first, "a TLS pair must never become the signer")

        try directory.issueTokenSigner(id: 1)
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(10)], ofItemAtPath: files.certificate)
        credential.reloadIfChanged()
        let renewed = credential.current.certificateBase64
        #expect(renewed != first, "the renewed certificate is used")

        // Another member's signing pair is refused too.
        let other = try directory.issueTokenSigner(id: 2)
        try overwrite(files, with: other, at: Date().addingTimeInterval(15))
        credential.reloadIfChanged()
        #expect(credential.current.certificateBase64 == renewed)
    }
}
