import ClusterIdentity
import Foundation
import X509

extension CertificateIssuer {
    /// A member's token-signing certificate: the token-signing usage only (no TLS usage, so it never serves
    /// as a node or client certificate, and a TLS key never signs tokens), naming the member.
    public func issueTokenSigner(
        id: UInt64, validitySeconds: Int64 = TokenSigningUsage.defaultValiditySeconds, now: Date = Date()
    ) throws -> IssuedCredential {
        try issueLeaf(
            commonName: "keycluster token signer \(id)",
            names: [.uniformResourceIdentifier(ClusterIdentity.node(id).uri)],
            usages: [TokenSigningUsage.usage], validitySeconds: validitySeconds, now: now)
    }
}
