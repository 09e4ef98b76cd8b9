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

    init(
        _ kind: String, status: HTTPResponse.Status, title: String, detail: String? = nil, retryAfterSeconds: Int? = nil
    ) {
        assert(ProblemKind.isKebabCase(kind), "problem kind \(kind) is not kebab-case")
        type = Self.typePrefix + kind
        self.title = title
        statusCode = status.code
        self.detail = detail
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// What every `type` starts with; the kind after it is kebab-case (`ProblemKind`).
    static let typePrefix = "urn:keycluster:problem:"

    enum CodingKeys: String, CodingKey {
        case type, title, detail, retryAfterSeconds, members, consistency, revision
        case statusCode = "status"
    }
}

extension Problem: HTTPResponseError {
    var status: HTTPResponse.Status { .init(code: statusCode) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: try encodedBody()))
    }

    /// The header fields of the answer: the problem media type, `Retry-After` and `WWW-Authenticate` when set.
    var headers: HTTPFields {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfterSeconds { headers[.retryAfter] = "\(retryAfterSeconds)" }
        if let wwwAuthenticate { headers[.wwwAuthenticate] = wwwAuthenticate }
        return headers
    }

    /// The document, as the body of the answer.
    func encodedBody() throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONEncoder().encode(self))
    }
}
