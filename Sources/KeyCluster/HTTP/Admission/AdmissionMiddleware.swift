import Hummingbird

/// Admits each request against its class's in-flight budget, and its source address's share of it, before
/// routing, and answers 429 with `Retry-After` and a problem document when either is full. The slot is held
/// until the response has been produced (a streamed request body is read inside the handler, so a slow
/// upload holds its slot — until `RequestDeadlineHandler` closes its connection).
struct AdmissionMiddleware<Context: SourceAddressContext>: RouterMiddleware {
    let admission: AdmissionControl

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let requestClass = RequestClass(method: request.method, path: request.uri.path) else {
            return try await next(request, context)
        }
        let source = context.sourceAddress
        let held: RequestClass
        let refusal: AdmissionControl.Refusal?
        switch admission.admitHolding(requestClass, from: source) {
        case .success(let slot): (held, refusal) = (slot, nil)
        case .failure(let refused): (held, refusal) = (requestClass, refused)
        }
        if let refusal {
            let name = requestClass.rawValue
            let (title, detail) =
                switch refusal {
                case .budgetFull:
                    (
                        "Too many \(name) requests in flight on this member",
                        "The \(name) budget of \(admission.limits.budget(of: requestClass)) is full; retry later or elsewhere."
                    )
                case .shareFull:
                    (
                        "Too many \(name) requests in flight from this address",
                        "One address may hold \(admission.limits.share(of: requestClass)) of the \(name) budget; retry later."
                    )
                }
            throw Problem(
                "overloaded", status: .tooManyRequests, title: title, detail: detail,
                retryAfterSeconds: admission.limits.retryAfterSeconds)
        }
        defer { admission.release(held, from: source) }
        return try await next(request, context)
    }
}

/// A request context that knows the address its request came from (the unit of fair shares).
protocol SourceAddressContext: RequestContext {
    var sourceAddress: String { get }
}
