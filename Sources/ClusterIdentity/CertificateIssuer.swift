import Crypto
import Foundation
import SwiftASN1
import X509

/// Makes the cluster's certificates in-process (P-256, ECDSA-SHA256): a self-signed cluster CA, node
/// certificates for peer links and the service, and operator client certificates. Used by tooling
/// (`keycluster cluster certs …`) and by tests, which make a throwaway CA each.
///
/// Node certificates carry `ClusterIdentity` URIs plus the host names and addresses clients dial (by default
/// DNS `localhost` and IP 127.0.0.1, which serves loopback clusters), because clients verify the hostname.
public struct CertificateIssuer: Sendable {
    /// Default lifetimes: long for the CA (rotated by re-issuing, rarely), a year for leaves.
    public static let defaultCAValiditySeconds: Int64 = 10 * 365 * 24 * 3600
    public static let defaultLeafValiditySeconds: Int64 = 365 * 24 * 3600
    /// Certificates start this much in the past so that a peer whose clock is slightly behind accepts them.
    public static let clockSkewAllowanceSeconds: Int64 = 300

    public let ca: IssuedCredential

    /// An issuer for an existing CA, checked to be one and to hold the certificate's key.
    public init(ca: IssuedCredential) throws {
        guard ca.certificate.publicKey == ca.privateKey.publicKey else { throw IssuerError.keyDoesNotMatchCertificate }
        guard case .isCertificateAuthority = try ca.certificate.extensions.basicConstraints else {
            throw IssuerError.notACertificateAuthority
        }
        self.ca = ca
    }

    /// An issuer for a CA read from PEM text (e.g. the operator's CA files).
    public init(caCertificatePEM: String, caPrivateKeyPEM: String) throws {
        let certificate = try Certificate(pemEncoded: caCertificatePEM)
        let key = try Certificate.PrivateKey(pemEncoded: caPrivateKeyPEM)
        try self.init(ca: IssuedCredential(certificate: certificate, privateKey: key))
    }

    /// Makes a new self-signed cluster CA.
    public static func makeCA(
        commonName: String = "KeyCluster cluster CA", validitySeconds: Int64 = defaultCAValiditySeconds,
        now: Date = Date()
    ) throws -> CertificateIssuer {
        precondition(validitySeconds > 0, "validity must be positive")
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName { CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: now - TimeInterval(clockSkewAllowanceSeconds),
            notValidAfter: now + TimeInterval(validitySeconds),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key
        )
        return try CertificateIssuer(ca: IssuedCredential(certificate: certificate, privateKey: key))
    }

    /// The names a node certificate answers to when none are given: a cluster on loopback.
    public static let loopbackHosts = ["localhost", "127.0.0.1"]
    /// Bound on the host names and addresses one node certificate lists.
    public static let maxHostsPerNode = 16

    /// A node certificate: server and client authentication (a node both accepts and dials peer links).
    /// `hosts` are the DNS names and IP addresses clients use to reach the node.
    public func issueNode(
        id: UInt64, region: String, hosts: [String] = loopbackHosts,
        validitySeconds: Int64 = defaultLeafValiditySeconds, now: Date = Date()
    ) throws -> IssuedCredential {
        precondition(ClusterIdentity.isValidName(region), "invalid region name \(region)")
        guard (1...Self.maxHostsPerNode).contains(hosts.count) else { throw IssuerError.hostCount(hosts.count) }
        let hostNames = try hosts.map(Self.subjectName(forHost:))
        return try issueLeaf(
            commonName: "keycluster node \(id)",
            names: [
                .uniformResourceIdentifier(ClusterIdentity.node(id).uri),
                .uniformResourceIdentifier(ClusterIdentity.region(region).uri),
            ] + hostNames,
            usages: [.serverAuth, .clientAuth],
            validitySeconds: validitySeconds, now: now
        )
    }

    /// An operator's client certificate: client authentication only, so it can never serve as a node.
    public func issueOperator(
        name: String, validitySeconds: Int64 = defaultLeafValiditySeconds, now: Date = Date()
    ) throws -> IssuedCredential {
        precondition(ClusterIdentity.isValidName(name), "invalid operator name \(name)")
        return try issueLeaf(
            commonName: "keycluster operator \(name)",
            names: [.uniformResourceIdentifier(ClusterIdentity.operator(name).uri)],
            usages: [.clientAuth],
            validitySeconds: validitySeconds, now: now
        )
    }

    /// An IP literal becomes an IP address name (4 or 16 bytes), anything else a DNS name.
    static func subjectName(forHost host: String) throws -> GeneralName {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: &v4) { ArraySlice($0) }))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: &v6) { ArraySlice($0) }))
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let isDNSName =
            !host.isEmpty && host.utf8.count <= 253
            && labels.allSatisfy { label in
                !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.utf8.allSatisfy {
                        $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39)
                            || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A)
                    }
            }
        guard isDNSName else { throw IssuerError.invalidHost(host) }
        return .dnsName(host)
    }

    /// A leaf certificate from this CA (not a CA itself) with `names` and extended key `usages`.
    public func issueLeaf(
        commonName: String, names: [GeneralName], usages: [ExtendedKeyUsage.Usage], validitySeconds: Int64, now: Date
    ) throws -> IssuedCredential {
        precondition(validitySeconds > 0, "validity must be positive")
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: now - TimeInterval(Self.clockSkewAllowanceSeconds),
            notValidAfter: now + TimeInterval(validitySeconds),
            issuer: ca.certificate.subject,
            subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: key.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: ca.privateKey
        )
        return IssuedCredential(certificate: certificate, privateKey: key)
    }
}

public enum IssuerError: Error, Equatable, Sendable, CustomStringConvertible {
    case keyDoesNotMatchCertificate
    case notACertificateAuthority
    case invalidHost(String)
    case hostCount(Int)

    public var description: String {
        switch self {
        case .keyDoesNotMatchCertificate: "the CA private key does not match the CA certificate"
        case .notACertificateAuthority: "the CA certificate is not a certificate authority"
        case .invalidHost(let host): "'\(host)' is neither an IP address nor a DNS name"
        case .hostCount(let count):
            "a node certificate lists 1 to \(CertificateIssuer.maxHostsPerNode) hosts, not \(count)"
        }
    }
}
