import Foundation

/// What a client needs to reach a cluster, read from a JSON file: every member's address and region, the
/// cluster CA to trust, the region to prefer, and (for operators) a client certificate.
/// `keycluster local-cluster init` and the embedded default write one as `client.json`; a member's own
/// configuration file is accepted too (it lists the members and the CA).
public struct ClientDescription: Codable, Sendable, Equatable {
    public struct Member: Codable, Sendable, Equatable {
        public var id: UInt64
        public var region: String
        public var clientAddress: String

        public init(id: UInt64, region: String, clientAddress: String) {
            self.id = id
            self.region = region
            self.clientAddress = clientAddress
        }
    }

    public struct ClientCertificate: Codable, Sendable, Equatable {
        public var certificate: String
        public var privateKey: String

        public init(certificate: String, privateKey: String) {
            self.certificate = certificate
            self.privateKey = privateKey
        }
    }

    public var members: [Member]
    public var caCertificate: String
    /// The region whose members are tried first; nil tries all in random order.
    public var region: String?
    /// An operator client certificate (and its 0600 key) for operator actions.
    public var operatorCertificate: ClientCertificate?

    public init(
        members: [Member], caCertificate: String, region: String? = nil, operatorCertificate: ClientCertificate? = nil
    ) {
        self.members = members
        self.caCertificate = caCertificate
        self.region = region
        self.operatorCertificate = operatorCertificate
    }

    /// A description that names what is wrong with the file.
    public struct Invalid: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Writes this description to `path` (pretty, sorted JSON).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}
