import Foundation

/// Where the `keycluster` executable built alongside the tests lives.
///
/// `swift test` builds every product into the same directory as the test bundle, so it is found next to
/// this process's executable; `KEYCLUSTER_BINARY` overrides that (e.g. to test a release build).
public enum KeyClusterBinary {
    public struct NotFound: Error, CustomStringConvertible {
        public let searched: [String]
        public var description: String {
            "the keycluster executable was not found (looked at \(searched.joined(separator: ", "))); build it with `swift build` or set KEYCLUSTER_BINARY"
        }
    }

    public static func path() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["KEYCLUSTER_BINARY"] { return explicit }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = (executable as NSString).deletingLastPathComponent
        var searched: [String] = []
        // The test runner may sit inside a bundle directory (…/debug/KeyClusterPackageTests.xctest/…).
        for _ in 0..<3 {
            let candidate = directory + "/keycluster"
            searched.append(candidate)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = (directory as NSString).deletingLastPathComponent
        }
        throw NotFound(searched: searched)
    }
}
