import Configuration

/// `KEYCLUSTER_*` environment variables: defaults for the flags a shell session repeats (which cluster,
/// which operator certificate, which region, how to log). Precedence, as etcdctl and Consul do it: a flag
/// given on the command line, then the environment, then the file (the cluster description or the member's
/// configuration), then the built-in default. The names are the flags' in upper snake case after
/// `KEYCLUSTER_` (README "Environment variables"); read through swift-configuration's environment provider.
enum EnvironmentDefaults {
    private static let reader = ConfigReader(provider: EnvironmentVariablesProvider())

    /// `KEYCLUSTER_` + `name` in upper snake case (`operatorCert` → `KEYCLUSTER_OPERATOR_CERT`), when set
    /// and not empty.
    static func string(_ name: String) -> String? {
        guard let value = reader.string(forKey: ConfigKey(["keycluster", name])), !value.isEmpty else { return nil }
        return value
    }

    /// The cluster description used when `--cluster` is not given.
    static var clusterDescription: String { string("cluster") ?? "keycluster-data/client.json" }
}
