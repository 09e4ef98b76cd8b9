/// What was built: the release this source tree is, and the compiler that built it. Printed by
/// `keycluster version`, served on `/healthz` and exported as `keycluster_build_info` so an operator can see
/// which members run which build during a rolling upgrade.
public enum BuildInfo {
    /// The release of this source tree (semantic versioning); raised with every tagged release.
    public static let version = "0.21.0"

    /// The Swift compiler's major.minor that built this binary.
    public static var swiftVersion: String {
        #if compiler(>=6.3)
            return "6.3"
        #elseif compiler(>=6.2)
            return "6.2"
        #elseif compiler(>=6.1)
            return "6.1"
        #else
            return "6.0"
        #endif
    }

    /// Debug or release: benchmarks and bug reports need to know which.
    public static var configuration: String {
        #if DEBUG
            return "debug"
        #else
            return "release"
        #endif
    }
}
