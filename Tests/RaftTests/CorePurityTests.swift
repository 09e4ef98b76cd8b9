import Foundation
import Testing

/// `Sources/Raft/Core` (the `RaftCore` target) must import nothing but the standard library: no Foundation,
/// no NIO, no clock, no threads. That is what makes the consensus core deterministic and testable by
/// simulation (design §2). The target has no dependencies, so the compiler already refuses every package
/// module; this test refuses what the compiler lets any target import — the toolchain's Foundation,
/// Glibc, Dispatch, Synchronization.
@Suite("Raft core purity")
struct CorePurityTests {
    static var coreDirectory: String {
        // …/Tests/RaftTests/CorePurityTests.swift → …/Sources/Raft/Core
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return tests.deletingLastPathComponent().appendingPathComponent("Sources/Raft/Core").path
    }

    @Test("no file in Sources/Raft/Core imports a module")
    func coreImportsNothing() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.coreDirectory).filter {
            $0.hasSuffix(".swift")
        }
        #expect(!files.isEmpty, "no Swift files found in \(Self.coreDirectory)")
        for file in files {
            let source = try String(contentsOfFile: "\(Self.coreDirectory)/\(file)", encoding: .utf8)
            let imports = source.split(separator: "\n").filter {
                let line = $0.trimmingCharacters(in: .whitespaces)
                return line.hasPrefix("import ") || line.contains(" import ") && !line.hasPrefix("//")
            }
            #expect(imports.isEmpty, "\(file) imports: \(imports)")
        }
    }
}
