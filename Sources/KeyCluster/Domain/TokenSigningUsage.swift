import Crypto
import SwiftASN1
import X509

/// The extended key usage that marks a token-signing certificate (design §9): the only usage the offline
/// verifier accepts for tokens and key lists, and one that TLS certificates never carry. A private OID under
/// the 2.25 arc. Kept free of cluster types so it ships to a vehicle with the verifier.
public enum TokenSigningUsage {
    public static let oid: ASN1ObjectIdentifier = [2, 25, 758_932_329_856_351_061, 1]
    public static let usage = ExtendedKeyUsage.Usage(oid: oid)
    /// A signing certificate lives a week: a copied signing key is good for days, not a year, and members
    /// pick up a renewed one without a restart (`keycluster certs signer`).
    public static let defaultValiditySeconds: Int64 = 7 * 24 * 3_600
    /// The longest validity the verifier accepts (plus `issuanceSkewAllowanceSeconds` for back-dating): what a
    /// stolen signing key is worth at most. Issuing longer is refused by the tooling too.
    public static let maxValiditySeconds: Int64 = 31 * 24 * 3_600
    /// Leaves are back-dated by this much (`CertificateIssuer.clockSkewAllowanceSeconds`).
    public static let issuanceSkewAllowanceSeconds: Int64 = 300

    /// How a signing certificate is named in a withdrawal: lower-case hex SHA-256 of its DER encoding.
    public static func fingerprint(ofDER der: some Sequence<UInt8>) -> String {
        ASCII.hex(SHA256.hash(data: Array(der)))
    }

    /// Whether `certificate` is a token-signing certificate: it carries this usage and no TLS usage, so a
    /// member's TLS pair can never pass for one (the verifier, the member loading its pair, and a
    /// withdrawal all ask the same question).
    public static func marks(_ certificate: Certificate) -> Bool {
        guard let usages = (try? certificate.extensions.extendedKeyUsage).flatMap({ $0 }) else { return false }
        return usages.contains(usage) && !usages.contains(.serverAuth) && !usages.contains(.clientAuth)
    }
}
