import Foundation
import HTTPTypes
import Testing

@testable import KeyCluster

/// The served OpenAPI document is complete and typed: every route is described and every described route
/// served, every operation has an id, tags and its security, signed operations list the signature
/// headers, and no body is an untyped object. Read by the document's layout (paths at two spaces, methods
/// at four, operation keys at six), the layout `DeclaredRoutes` relies on too.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    struct Operation {
        var path: String
        var method: String
        var lines: [Substring]

        /// The value of the operation's own `key:` line (six spaces in), if any.
        func value(_ key: String) -> Substring? {
            lines.first { $0.hasPrefix("      \(key): ") }.map { $0.dropFirst("      \(key): ".count) }
        }
    }

    static let document = OpenAPIDocument.yaml
    static let lines = document.split(separator: "\n", omittingEmptySubsequences: false)

    static func indentation(_ line: Substring) -> Int { line.prefix { $0 == " " }.count }

    static var operations: [Operation] {
        var operations: [Operation] = []
        var inPaths = false
        var path = ""
        for line in lines {
            if indentation(line) == 0, !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if indentation(line) == 2, line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if indentation(line) == 4, line.hasSuffix(":"),
                DeclaredRoutes.openAPIMethods.contains(String(line.dropFirst(4).dropLast()))
            {
                operations.append(Operation(path: path, method: String(line.dropFirst(4).dropLast()), lines: []))
            } else if indentation(line) >= 6, !operations.isEmpty {
                operations[operations.count - 1].lines.append(line)
            }
        }
        return operations
    }

    static var sourcesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/KeyCluster")
    }

    /// The routes the service's sources register (`router.get("/v1/…/:vin")` …), as `{name}` templates.
    static func registeredInSources() throws -> [(method: HTTPRequest.Method, path: String)] {
        let pattern = try NSRegularExpression(pattern: #"router\.(get|post|put|delete|patch)\("([^"]+)""#)
        var found: [(HTTPRequest.Method, String)] = []
        let files = FileManager.default.enumerator(at: sourcesDirectory, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let source = try String(contentsOf: file, encoding: .utf8)
            for match in pattern.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                guard
                    let method = Range(match.range(at: 1), in: source).flatMap({
                        HTTPRequest.Method(source[$0].uppercased())
                    }),
                    let path = Range(match.range(at: 2), in: source).map({ source[$0] })
                else { continue }
                let template = path.split(separator: "/", omittingEmptySubsequences: false)
                    .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
                found.append((method, template))
            }
        }
        return found
    }

    @Test("every route the sources register is in the document, and every documented route is registered")
    func routesMatchDocument() throws {
        let registered = try Self.registeredInSources()
        #expect(registered.count > 20, "the source scan found too few routes: \(registered.count)")
        #expect(DeclaredRoutes(openAPIYAML: Self.document).mismatches(registered: registered) == [])
    }

    @Test(
        "the route comparison: an undocumented route and an unserved documented one are named; unserved /debug/ routes are not"
    )
    func mismatchesAreNamed() {
        let declared = DeclaredRoutes(openAPIYAML: Self.document)
        let all = declared.routes.flatMap { route in
            route.methods.map { (method: $0, path: route.segments.joined(separator: "/")) }
        }
        #expect(declared.mismatches(registered: all) == [])
        let withoutDebug = all.filter { !$0.path.hasPrefix("/debug/") }
        #expect(
            declared.mismatches(registered: withoutDebug) == [], "debug routes are registered only with debugRoutes")
        let withoutHealth = all.filter { $0.path != "/healthz" }
        #expect(
            declared.mismatches(registered: withoutHealth) == [
                "GET /healthz: in the OpenAPI document but not registered"
            ])
        #expect(
            declared.mismatches(registered: all + [(.get, "/v1/secret")]) == [
                "GET /v1/secret: registered but not in the OpenAPI document"
            ])
        #expect(declared.methods(for: "/") == [.get], "the status page is declared")
    }

    @Test("every operation has a unique operationId, tags and security; signed ones list the four KeyCluster-* headers")
    func operationsAreComplete() {
        let operations = Self.operations
        #expect(operations.count == Self.document.components(separatedBy: "      operationId: ").count - 1)
        #expect(operations.count > 20)
        var ids: Set<Substring> = []
        for operation in operations {
            let name = "\(operation.method) \(operation.path)"
            let id = operation.value("operationId")
            #expect(id.map { !$0.isEmpty && !ids.contains($0) } == true, "\(name): operationId missing or repeated")
            if let id { ids.insert(id) }
            #expect(operation.value("tags").map { $0.hasPrefix("[") && $0.count > 2 } == true, "\(name): no tags")
            let security = operation.value("security")
            #expect(security != nil, "\(name): no security (anonymous operations say security: [])")
            if security?.contains("keySignature") == true {
                for header in ["KeyCluster-Key-ID", "KeyCluster-Timestamp", "KeyCluster-Nonce", "KeyCluster-Signature"]
                {
                    let reference =
                        header == "KeyCluster-Key-ID" ? "id" : header.dropFirst("KeyCluster-".count).lowercased()
                    #expect(
                        operation.lines.contains { $0.contains("Headers-\(reference)\"") },
                        "\(name): signed, but \(header) is not a parameter")
                }
            }
        }
    }

    @Test("no schema is a bare object: every `type: object` has properties or additionalProperties")
    func noBareObjects() {
        let lines = Self.lines
        for (number, line) in lines.enumerated() {
            if let flow = line.range(of: "{type: object") {
                // The flow mapping from its brace to the matching one.
                var depth = 0
                var end = line.endIndex
                for index in line[flow.lowerBound...].indices {
                    if line[index] == "{" { depth += 1 }
                    if line[index] == "}" { depth -= 1 }
                    if depth == 0 {
                        end = index
                        break
                    }
                }
                let mapping = line[flow.lowerBound..<end]
                #expect(mapping.contains("properties:"), "line \(number + 1): \(line)")
            } else if line.trimmingCharacters(in: .whitespaces) == "type: object"
                || line.trimmingCharacters(in: .whitespaces) == "- type: object"
            {
                let indent = Self.indentation(line) + (line.contains("- type") ? 2 : 0)
                let block = lines[(number + 1)...].prefix { Self.indentation($0) >= indent && !$0.isEmpty }
                #expect(
                    block.contains {
                        Self.indentation($0) == indent
                            && ($0.contains("properties:") || $0.contains("additionalProperties:"))
                    },
                    "line \(number + 1): a bare object")
            }
        }
    }

    @Test("servers name no fixed address: a member variable with a default")
    func serversAreVariable() {
        #expect(Self.document.contains(#"- url: "https://{member}""#))
        #expect(Self.document.contains("variables:\n      member:\n        default: "))
        #expect(!Self.document.contains("- url: https://127.0.0.1"))
    }
}
