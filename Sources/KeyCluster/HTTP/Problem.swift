import Foundation
import Hummingbird

/// An RFC 9457 problem document: every error the API returns, with a stable `type` a client can switch on.
struct Problem: Error, Codable, Sendable {
    /// A stable identifier of the kind of problem, e.g. `urn:keycluster:problem:not-leader`.
    var type: String
    var title: String
    var statusCode: Int
    var detail: String?
    /// Seconds after which retrying may succeed (also sent as `Retry-After`).
    var retryAfterSeconds: Int?
    /// Other members' client addresses, when this member cannot answer but another may.
    var members: [String]?
    /// A decision refused at a read point (`ReadPath`): how consistent the state it was read from was, and
    /// the revision — a refusal is an answer too, and a client or checker can tell a strict one.
    var consistency: ReadConsistency?
    var revision: UInt64?
    /// For a 401: how to authenticate, sent as `WWW-Authenticate` (not part of the document).
    var wwwAuthenticate: String?

    init(_ kind: String, status: HTTPResponse.Status, title: String, detail: String? = nil, retryAfterSeconds: Int? = nil) {
        type = "urn:keycluster:problem:\(kind)"
        self.title = title
        statusCode = status.code
        self.detail = detail
        self.retryAfterSeconds = retryAfterSeconds
    }

    enum CodingKeys: String, CodingKey {
        case type, title, detail, retryAfterSeconds, members, consistency, revision
        case statusCode = "status"
    }
}

extension Problem: HTTPResponseError {
    var status: HTTPResponse.Status { .init(code: statusCode) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfterSeconds { headers[.retryAfter] = "\(retryAfterSeconds)" }
        if let wwwAuthenticate { headers[.wwwAuthenticate] = wwwAuthenticate }
        let body = try JSONEncoder().encode(self)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
