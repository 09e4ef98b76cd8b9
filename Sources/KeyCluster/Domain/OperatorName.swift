import ClusterIdentity

/// The operator who performed an operator action: the name in their client certificate
/// (`urn:keycluster:operator:<name>`), so it follows the cluster's one rule for names.
public struct OperatorName: DomainString {
    public let text: String

    public init(validating text: String) throws(DomainInputError) {
        guard ClusterIdentity.isValidName(text) else {
            throw DomainInputError(
                field: "operator name",
                problem: "must be 1–\(ClusterIdentity.maxNameBytes) letters, digits, '-', '_' or '.'")
        }
        self.text = text
    }
}
