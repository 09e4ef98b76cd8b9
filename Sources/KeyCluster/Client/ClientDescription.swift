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

    public init(members: [Member], caCertificate: String, region: String? = nil, operatorCertificate: ClientCertificate? = nil) {
        self.members = members
        self.caCertificate = caCertificate
        self.region = region
        self.operatorCertificate = operatorCertificate
    }

    /// The members and CA of a member's configuration (no operator certificate).
    public init(_ configuration: NodeConfiguration) {
        self.init(
            members: configuration.members.map { Member(id: $0.id, region: $0.region, clientAddress: $0.clientAddress) },
            caCertificate: configuration.tls.caCertificate)
    }

    /// A description that names what is wrong with the file.
    public struct Invalid: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Reads a client description, or a member configuration, from `path`.
    public static func load(from path: String) throws -> ClientDescription {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Invalid(reason: "cannot read the cluster description \(path): \(error.localizedDescription)")
        }
        let description: ClientDescription
        if let direct = try? JSONDecoder().decode(ClientDescription.self, from: data) {
            description = direct
        } else if let configuration = try? JSONDecoder().decode(NodeConfiguration.self, from: data) {
            // The member's own paths are relative to the same file: `resolvingPaths` below covers both forms.
            description = ClientDescription(configuration)
        } else {
            throw Invalid(reason: "\(path) is neither a client description nor a member configuration")
        }
        guard !description.members.isEmpty else { throw Invalid(reason: "\(path) lists no members") }
        return description.resolvingPaths(nextTo: path)
    }

    /// Writes this description to `path` (pretty, sorted JSON).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}

extension LocalClusterLayout {
    public var clientDescriptionPath: String { "\(directory)/client.json" }

    /// Writes `client.json` for `configurations` (as `create` returned them), with an operator certificate
    /// named `operatorName` issued by this layout's CA. Paths in it are absolute, so it works from anywhere.
    @discardableResult
    public func writeClientDescription(for configurations: [NodeConfiguration], operatorName: String = "admin") throws -> ClientDescription {
        precondition(!configurations.isEmpty, "a cluster has members")
        let credential = try issueOperator(name: operatorName)
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        }
        var description = ClientDescription(configurations[0])
        description.caCertificate = absolute(description.caCertificate)
        description.operatorCertificate = .init(certificate: absolute(credential.certificate), privateKey: absolute(credential.privateKey))
        try description.write(to: clientDescriptionPath)
        return description
    }
}
