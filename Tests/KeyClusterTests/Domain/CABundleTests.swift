import ClusterIdentity
import Foundation
import Testing
import X509

@testable import KeyCluster

/// CA bundles (issue 13, item 4): the vehicle's verifier trusts every CA of a PEM bundle, in any order —
/// the old and the new side by side during a rotation — and says clearly what is wrong with a bad file.
@Suite("CA bundles in the offline verifier")
struct CABundleTests {
    @Test("a token from the new CA verifies with [old, new] and [new, old]; not with the old CA alone")
    func rotation() throws {
        let fixture = try TokenFixture()
        let newCA = try fixture.ca.ca.certificate.serializeAsPEM().pemString
        let oldCA = try CertificateIssuer.makeCA(now: TokenFixture.certificateTime).ca.certificate.serializeAsPEM()
            .pemString
        let document = try fixture.token()
        for bundle in [oldCA + "\n" + newCA, newCA + "\n" + oldCA] {
            let verifier = try UnlockTokenVerifier(caBundlePEM: bundle)
            #expect(throws: Never.self) {
                try verifier.verifyUnlockToken(
                    document, vin: fixture.vin, command: .unlock, nowUnixMs: TokenFixture.now)
            }
        }
        #expect(throws: TokenVerificationError.untrustedCertificate) {
            try UnlockTokenVerifier(caBundlePEM: oldCA).verifyUnlockToken(
                document, vin: fixture.vin, command: .unlock, nowUnixMs: TokenFixture.now)
        }
    }

    @Test("files that are not certificate bundles are refused with the reason")
    func badBundles() throws {
        #expect(throws: CABundleError.notPEM) { try UnlockTokenVerifier(caBundlePEM: "") }
        #expect(throws: CABundleError.notPEM) { try UnlockTokenVerifier(caBundlePEM: "not a certificate") }
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        let ca = try CertificateIssuer.makeCA().ca.certificate.serializeAsPEM().pemString
        #expect(throws: CABundleError.notACertificate(block: 2)) {
            try UnlockTokenVerifier(caBundlePEM: ca + "\n" + key)
        }
        #expect(throws: CABundleError.unreadable("/nonexistent/ca.pem")) {
            try UnlockTokenVerifier(caBundleFile: "/nonexistent/ca.pem")
        }
    }
}
