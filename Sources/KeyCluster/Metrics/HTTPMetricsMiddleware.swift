import Hummingbird
import Prometheus

/// Counts every request and times it, by route, method and status — errors included: a handler or a
/// middleware that throws (a problem document, a 429 from admission, a 404 from the router) is counted with
/// the status its error answers, and anything else as 500. Placed first, so it sees what every other
/// middleware does. Replaces Hummingbird's `MetricsMiddleware`, which counted thrown errors without their
/// duration, exported no HELP and needed the process-global `MetricsSystem` (one per process, while tests
/// run several members in one).
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry

    /// The route label: the matched route's pattern (`/v1/vehicles/{vin}`), or `unmatched` when no route
    /// matched — Hummingbird then says nil or `NotFound`, and the raw path would make a series per path tried.
    static func routeLabel(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath.hasPrefix("/") else { return "unmatched" }
        return endpointPath
    }

    /// The method label: the standard methods as themselves, any other token a client sends as `other`
    /// (each would otherwise make series of its own).
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .delete, .patch, .options: method.rawValue
        default: "other"
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        let method = Self.methodLabel(request.method)
        do {
            var response = try await next(request, context)
            let status = response.status.code
            response.body = response.body.afterWriting {
                record(route: context.endpointPath, method: method, status: status, since: start)
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? HTTPResponse.Status.internalServerError.code
            record(route: context.endpointPath, method: method, status: status, since: start)
            throw error
        }
    }

    private func record(route: String?, method: String, status: Int, since start: ContinuousClock.Instant) {
        let labels = [("route", Self.routeLabel(route)), ("method", method), ("status", "\(status)")]
        registry.makeCounter(
            descriptor: .keycluster(
                "http", "requests", unit: "total",
                help: "Requests answered, by route, method and status (errors included)"),
            labels: labels
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .keycluster(
                "http", "request_duration", unit: "seconds",
                help:
                    "Time from a request's arrival to its response written, by route, method and status (errors included)"
            ),
            labels: labels, buckets: LatencyBuckets.request
        ).record(ContinuousClock.now - start)
    }
}

extension ResponseBody {
    /// This body, calling `done` once it has been written (or its writing failed): a response's duration
    /// ends when its last byte is out, not when its handler returns.
    fileprivate func afterWriting(_ done: @escaping @Sendable () -> Void) -> ResponseBody {
        let body = self
        return ResponseBody(contentLength: contentLength) { writer in
            defer { done() }
            try await body.write(writer)
        }
    }
}
