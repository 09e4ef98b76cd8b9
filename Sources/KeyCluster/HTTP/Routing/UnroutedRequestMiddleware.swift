import Hummingbird

/// Answers what the router finds no handler for as problem documents: 405 with `Allow` when the document
/// declares the path but not the method (RFC 9110 §15.5.6), else 404.
///
/// It turns only the router's own "no route" error into a problem; handlers' errors pass untouched.
struct UnroutedRequestMiddleware<Context: RequestContext>: RouterMiddleware {
    let declared: DeclaredRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let methods = declared.methods(for: request.uri.path), !methods.contains(request.method) else {
                throw Problem("not-found", status: .notFound, title: "No such resource")
            }
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            let problem = Problem(
                "method-not-allowed", status: .methodNotAllowed,
                title: "\(request.method.rawValue) is not allowed here; allowed: \(allow)")
            var response = try problem.response(from: request, context: context)
            response.headers[.allow] = allow
            return response
        }
    }
}
