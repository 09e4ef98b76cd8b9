import AsyncHTTPClient
import Foundation
import KeyCluster
import NIOCore

/// One signed POST of the outage storm (an unlock or a revoke) and how it ended, as a phone sees it: an
/// answer with a status (and `Retry-After`), no connection, or no answer in time. Written from the API
/// document (`/openapi.yaml`), not from the server's code, and without `MemberClient`: the storm needs its
/// own per-request deadline, the raw status of every refusal and `Retry-After` from the header.
enum StormRequest {
    /// Largest answer body read: a token or a problem document is well under a kibibyte.
    static let maxAnswerBytes = 1 << 16

    enum Outcome: Sendable {
        /// The member answered; `body` only for 2xx (a token, a change), where the storm reads it.
        case answered(status: Int, retryAfterSeconds: Int?, body: ByteBuffer?)
        /// No connection could be made, or it broke: a dead member, or one refusing connections.
        case unreachable
        /// No answer within the deadline: a frozen member, or a queue longer than a phone waits.
        case timedOut
    }

    static func post(
        to address: String, path: String, headers: [(String, String)], body: [UInt8], timeout: Duration,
        http: HTTPClient
    ) async -> Outcome {
        var request = HTTPClientRequest(url: "https://\(address)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let status = Int(response.status.code)
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
            if (200..<300).contains(status) {
                return .answered(
                    status: status, retryAfterSeconds: retryAfter,
                    body: try await response.body.collect(upTo: maxAnswerBytes))
            }
            // Refusals are read to the end so the connection can be reused, and dropped.
            _ = try? await response.body.collect(upTo: maxAnswerBytes)
            return .answered(status: status, retryAfterSeconds: retryAfter, body: nil)
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout].contains(error) {
            return .timedOut
        } catch {
            return .unreachable
        }
    }
}

extension Duration {
    /// Whole nanoseconds (saturating), for NIO's `TimeAmount`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
