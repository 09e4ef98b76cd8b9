import Foundation

/// A client description read from a file that may be a member's own configuration: here, beside the
/// configuration, so the client's types need not know a member's (Config uses Client, never the reverse).
extension ClientDescription {
    /// The members and CA of a member's configuration (no operator certificate).
    public init(_ configuration: NodeConfiguration) {
        self.init(
            members: configuration.members.map {
                Member(id: $0.id, region: $0.region, clientAddress: $0.clientAddress)
            },
            caCertificate: configuration.tls.caCertificate)
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
}
