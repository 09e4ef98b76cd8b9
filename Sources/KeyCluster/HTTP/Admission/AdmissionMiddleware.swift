import Hummingbird

/// Admits each request against its class's in-flight budget before routing, and answers 429 with
/// `Retry-After` and a problem document when the budget is full. The slot is held until the response has
/// been produced (a streamed request body is read inside the handler, so a slow upload holds its slot).
struct AdmissionMiddleware<Context: RequestContext>: RouterMiddleware {
    let admission: AdmissionControl

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let requestClass = RequestClass(method: request.method, path: request.uri.path) else {
            return try await next(request, context)
        }
        guard admission.admit(requestClass) else {
            throw Problem(
                "overloaded", status: .tooManyRequests,
                title: "Too many \(requestClass.rawValue) requests in flight on this member",
                detail: "The \(requestClass.rawValue) budget of \(admission.limits.budget(of: requestClass)) is full; retry later or elsewhere.",
                retryAfterSeconds: admission.limits.retryAfterSeconds)
        }
        defer { admission.release(requestClass) }
        return try await next(request, context)
    }
}
