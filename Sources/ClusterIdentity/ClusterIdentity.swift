import X509

/// The one place that defines how a cluster certificate names who holds it: SAN URIs
///
///     urn:keycluster:node:<decimal id>        a cluster member (peer links accept only these)
///     urn:keycluster:region:<name>            the member's region
///     urn:keycluster:operator:<name>          an operator's client certificate
///
/// URIs rather than common names because a certificate can carry several, they are typed by scheme, and
/// a verifier can reject anything it does not recognise instead of guessing from free text.
public enum ClusterIdentity: Hashable, Sendable, CustomStringConvertible {
    case node(UInt64)
    case region(String)
    case `operator`(String)

    static let prefix = "urn:keycluster:"
    /// Bound on region and operator names: they are labels, not documents.
    public static let maxNameBytes = 64

    /// The SAN URI that carries this identity.
    public var uri: String {
        switch self {
        case .node(let id): "\(Self.prefix)node:\(id)"
        case .region(let name): "\(Self.prefix)region:\(name)"
        case .operator(let name): "\(Self.prefix)operator:\(name)"
        }
    }

    public var description: String { uri }

    /// Parses a SAN URI; `nil` for anything that is not exactly one of the cluster forms.
    public init?(uri: String) {
        guard uri.hasPrefix(Self.prefix) else { return nil }
        let rest = uri.dropFirst(Self.prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let kind = rest[..<colon]
        let value = String(rest[rest.index(after: colon)...])
        switch kind {
        case "node":
            // Decimal digits only: `UInt64("+3")` would accept a sign, which would let two spellings name one node.
            guard !value.isEmpty, value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let id = UInt64(value)
            else { return nil }
            self = .node(id)
        case "region":
            guard Self.isValidName(value) else { return nil }
            self = .region(value)
        case "operator":
            guard Self.isValidName(value) else { return nil }
            self = .operator(value)
        default:
            return nil
        }
    }

    /// Names are non-empty, bounded, and limited to letters, digits, `-`, `_` and `.`, so they can be
    /// logged and used in file names without escaping.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxNameBytes
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
    }

    /// Every cluster identity named in the certificate's SubjectAlternativeNames extension.
    public static func identities(in certificate: Certificate) throws -> [ClusterIdentity] {
        guard let names = try certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            if case .uniformResourceIdentifier(let uri) = name { ClusterIdentity(uri: uri) } else { nil }
        }
    }

    /// The node id a peer certificate names. Exactly one node URI is required: a certificate naming two
    /// nodes could otherwise pose as either.
    public static func nodeID(in certificate: Certificate) throws(ClusterIdentityError) -> UInt64 {
        let found: [ClusterIdentity]
        do {
            found = try identities(in: certificate)
        } catch {
            throw .unreadableExtensions("\(error)")
        }
        let nodes = found.compactMap { identity -> UInt64? in
            if case .node(let id) = identity { id } else { nil }
        }
        guard let id = nodes.first else { throw .noNodeIdentity }
        guard nodes.count == 1 else { throw .severalNodeIdentities(nodes) }
        return id
    }

    /// The node id in a DER-encoded certificate, as NIOSSL hands it over after the handshake.
    public static func nodeID(inDER der: [UInt8]) throws(ClusterIdentityError) -> UInt64 {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw .unparsableCertificate("\(error)")
        }
        return try nodeID(in: certificate)
    }
}

/// Why a certificate does not identify a cluster node.
public enum ClusterIdentityError: Error, Equatable, Sendable, CustomStringConvertible {
    case unparsableCertificate(String)
    case unreadableExtensions(String)
    case noNodeIdentity
    case severalNodeIdentities([UInt64])

    public var description: String {
        switch self {
        case .unparsableCertificate(let why): "peer certificate cannot be parsed: \(why)"
        case .unreadableExtensions(let why): "peer certificate extensions cannot be read: \(why)"
        case .noNodeIdentity: "peer certificate names no \(ClusterIdentity.prefix)node:<id> URI"
        case .severalNodeIdentities(let ids): "peer certificate names several nodes \(ids)"
        }
    }
}
