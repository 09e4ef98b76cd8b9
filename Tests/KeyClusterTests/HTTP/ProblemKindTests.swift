import Foundation
import Testing

@testable import KeyCluster

/// One convention for problem `type`s — `urn:keycluster:problem:` and a kebab-case kind — and every kind
/// the API can answer is listed in the OpenAPI document.
@Suite("Problem kinds")
struct ProblemKindTests {
    static var sourcesDirectory: URL {
        // …/Tests/KeyClusterTests/HTTP/ProblemKindTests.swift → …/Sources/KeyCluster
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/KeyCluster")
    }

    /// The kinds named literally in `Problem("…"` calls of the service's sources, with the file of each
    /// (identifier characters only: a comment's `Problem("…")` is not a call).
    static func literalKinds() throws -> [(kind: String, file: String)] {
        let pattern = try NSRegularExpression(pattern: #"Problem\(\s*"([A-Za-z0-9_-]+)""#)
        var found: [(String, String)] = []
        let files = FileManager.default.enumerator(at: sourcesDirectory, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let source = try String(contentsOf: file, encoding: .utf8)
            for match in pattern.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                guard let range = Range(match.range(at: 1), in: source) else { continue }
                found.append((String(source[range]), file.lastPathComponent))
            }
        }
        return found
    }

    @Test("domain refusals and unlock denials become kebab-case kinds; their stored raw values do not change")
    func derivedKinds() {
        #expect(DomainRefusal.Code.vehicleNotFound.problemKind == "vehicle-not-found")
        #expect(DomainRefusal.Code.keyAlreadyGranted.problemKind == "key-already-granted")
        #expect(
            DomainRefusal.Code.keyAlreadyGranted.rawValue == "keyAlreadyGranted",
            "the replicated result keeps its raw value")
        #expect(AuthorizationDecision.Denial.noGrant.problemKind == "denied-no-grant")
        #expect(ProblemKind.isKebabCase("not-a-signing-certificate") && !ProblemKind.isKebabCase("grantNotFound"))
        #expect(!ProblemKind.isKebabCase("a--b") && !ProblemKind.isKebabCase("-a") && !ProblemKind.isKebabCase(""))
    }

    @Test("every kind in the sources is kebab-case and listed; every listed kind is in the OpenAPI document")
    func everyKindListedAndDocumented() throws {
        let literal = try Self.literalKinds()
        #expect(literal.count > 40, "the source scan found too few Problem(…) calls: \(literal.count)")
        for (kind, file) in literal {
            #expect(ProblemKind.isKebabCase(kind), "\(file): problem kind \(kind) is not kebab-case")
            #expect(
                ProblemKind.literal.contains(kind), "\(file): problem kind \(kind) is missing from ProblemKind.literal")
        }
        for kind in ProblemKind.all {
            #expect(ProblemKind.isKebabCase(kind), "\(kind) is not kebab-case")
            #expect(
                OpenAPIDocument.yaml.contains("\(Problem.typePrefix)\(kind)"), "\(kind) is not in the OpenAPI document")
        }
    }
}
