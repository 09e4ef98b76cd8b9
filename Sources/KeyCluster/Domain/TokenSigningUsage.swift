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
}
