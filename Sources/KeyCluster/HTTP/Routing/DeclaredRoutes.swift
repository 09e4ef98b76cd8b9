import HTTPTypes

/// The paths and methods the OpenAPI document declares, read from the document itself so the two cannot
/// drift: a route added to the document is known here without another list to maintain.
struct DeclaredRoutes: Sendable {
    struct Route: Sendable, Equatable {
        /// Path segments; `{name}` segments match any one segment.
        let segments: [Substring]
        let methods: [HTTPRequest.Method]
    }

    let routes: [Route]

    static let openAPIMethods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// The `paths:` section of `yaml`: a path is a two-space-indented key starting with `/`, its operations
    /// four-space-indented method keys (the layout of `OpenAPIDocument.yaml`).
    init(openAPIYAML yaml: String) {
        var routes: [Route] = []
        var inPaths = false
        var path: String?
        var methods: [HTTPRequest.Method] = []
        func flush() {
            if let path {
                routes.append(
                    Route(segments: path.split(separator: "/", omittingEmptySubsequences: false), methods: methods))
            }
            path = nil
            methods = []
        }
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                flush()
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                flush()
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"),
                Self.openAPIMethods.contains(String(line.dropFirst(4).dropLast())),
                let method = HTTPRequest.Method(String(line.dropFirst(4).dropLast()).uppercased())
            {
                methods.append(method)
            }
        }
        flush()
        self.routes = routes
    }

    /// The methods declared for `path`, or nil when no declared path matches it.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let matching = routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { template, actual in
                    (template.hasPrefix("{") && template.hasSuffix("}") && !actual.isEmpty) || template == actual
                }
        }
        guard !matching.isEmpty else { return nil }
        var methods: [HTTPRequest.Method] = []
        for method in matching.flatMap(\.methods) where !methods.contains(method) { methods.append(method) }
        return methods
    }
}

extension DeclaredRoutes {
    /// Paths under this prefix are declared but served only where the configuration enables them.
    static let optionalPathPrefix = "/debug/"

    /// How the routes a router holds differ from the declared ones, one line each (empty when they agree):
    /// a registered method and path the document lacks, or a declared one nothing serves (`/debug/` paths
    /// may be missing: they are registered only with `debugRoutes`). `registered` paths are templates with
    /// `{name}` segments, as Hummingbird's `RouterPath` prints them.
    func mismatches(registered: [(method: HTTPRequest.Method, path: String)]) -> [String] {
        let declared = Set(
            routes.flatMap { route in route.methods.map { "\($0.rawValue) \(route.segments.joined(separator: "/"))" } })
        let served = Set(registered.map { "\($0.method.rawValue) \($0.path)" })
        let undocumented = served.subtracting(declared).sorted().map {
            "\($0): registered but not in the OpenAPI document"
        }
        let unserved = declared.subtracting(served).filter { route in !route.contains(" \(Self.optionalPathPrefix)") }
        return undocumented + unserved.sorted().map { "\($0): in the OpenAPI document but not registered" }
    }
}
