import Foundation
import KeyCluster

extension LocalClusterLayout {
    public var clientDescriptionPath: String { "\(directory)/client.json" }

    /// Writes `client.json` for `configurations` (as `create` returned them), with an operator certificate
    /// named `operatorName` issued by this layout's CA. Paths in it are absolute, so it works from anywhere.
    @discardableResult
    public func writeClientDescription(for configurations: [NodeConfiguration], operatorName: String = "admin") throws
        -> ClientDescription
    {
        precondition(!configurations.isEmpty, "a cluster has members")
        let credential = try issueOperator(name: operatorName)
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        }
        var description = ClientDescription(configurations[0])
        description.caCertificate = absolute(description.caCertificate)
        description.operatorCertificate = .init(
            certificate: absolute(credential.certificate), privateKey: absolute(credential.privateKey))
        try description.write(to: clientDescriptionPath)
        return description
    }
}
