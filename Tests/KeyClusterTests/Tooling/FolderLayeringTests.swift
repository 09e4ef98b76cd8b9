import Foundation
import Testing

/// The folders of `Sources/KeyCluster` use one another in one direction (docs/architecture.md): a folder may
/// name types declared in folders before it in `order`, never after. SwiftPM holds targets apart, not the
/// folders inside one; this holds them, by reading the sources — a loop between folders (HTTP using the
/// server's types while the server wires HTTP, say) fails here, naming the type and the file.
@Suite("KeyCluster folder layering")
struct FolderLayeringTests {
    /// Lowest first. Folders on one step may not use each other either.
    static let order: [[String]] = [
        ["Support", "Build", "Logging"],
        ["Domain"],
        ["Certificates", "StateMachine", "API", "Backup"],
        ["Service", "Quota", "Metrics"],
        ["HTTP", "Client"],
        ["Config"],
        ["Operations"],
        ["Server"],
    ]

    static let sourceDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/KeyCluster")

    struct SourceFile {
        let folder: String
        let name: String
        let text: String
    }

    static func sources() throws -> [SourceFile] {
        let paths = try #require(FileManager.default.enumerator(atPath: sourceDirectory.path)).compactMap {
            $0 as? String
        }
        return try paths.filter { $0.hasSuffix(".swift") }.map { path in
            let text = try String(contentsOf: sourceDirectory.appendingPathComponent(path), encoding: .utf8)
            // Comments name types freely (`see ReadPath`); only code counts.
            let code = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.range(of: "//").map { String(line[..<$0.lowerBound]) } ?? String(line)
            }.joined(separator: "\n")
            return SourceFile(folder: String(path.split(separator: "/")[0]), name: path, text: code)
        }
    }

    /// Types, protocols and aliases declared at the top level of each file, by name.
    static func declarations(in files: [SourceFile]) throws -> [String: SourceFile] {
        let pattern = try Regex(
            #"(?m)^(?:(?:public|package|internal|final|indirect)\s+)*(?:struct|class|enum|protocol|actor|typealias)\s+([A-Za-z_][A-Za-z0-9_]*)"#
        )
        var declared: [String: SourceFile] = [:]
        for file in files {
            for match in file.text.matches(of: pattern) {
                if let name = match.output[1].substring { declared[String(name)] = file }
            }
        }
        return declared
    }

    static func words(in text: String) -> Set<Substring> {
        Set(text.split { !($0.isLetter || $0.isNumber || $0 == "_") })
    }

    @Test("every folder is placed, and no folder names a type declared in a folder at or above its own step")
    func foldersUseOnlyLowerFolders() throws {
        let files = try Self.sources()
        let step = Dictionary(
            uniqueKeysWithValues: Self.order.enumerated().flatMap { index, folders in folders.map { ($0, index) } })
        for folder in Set(files.map(\.folder)) where !folder.hasSuffix(".swift") {
            #expect(step[folder] != nil, "Sources/KeyCluster/\(folder) is not placed in FolderLayeringTests.order")
        }
        let declared = try Self.declarations(in: files)
        #expect(declared.count > 100, "the declaration scan found only \(declared.count) types")
        var violations: [String] = []
        for file in files {
            guard let own = step[file.folder] else { continue }
            for word in Self.words(in: file.text) {
                guard let owner = declared[String(word)], owner.folder != file.folder, let theirs = step[owner.folder]
                else { continue }
                if theirs >= own {
                    violations.append("\(file.name) uses \(word), declared in \(owner.name)")
                }
            }
        }
        #expect(
            violations.isEmpty, "folders used against the layering:\n\(violations.sorted().joined(separator: "\n"))")
    }
}
