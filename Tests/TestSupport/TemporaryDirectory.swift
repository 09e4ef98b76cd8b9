import Foundation

/// A fresh directory under the system's temporary directory, removed when `remove()` is called.
/// Tests create one each so that they can run in parallel without sharing files.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "test") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/keycluster-\(label)-\(getpid())-\(UInt64.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside this directory.
    public func appending(_ component: String) -> String { "\(path)/\(component)" }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Runs `body` with a new directory and removes the directory afterwards, whatever happens.
    public static func with<R>(_ label: String = "test", _ body: (TemporaryDirectory) async throws -> R) async throws
        -> R
    {
        let directory = try TemporaryDirectory(label)
        defer { directory.remove() }
        return try await body(directory)
    }
}
