import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// HTTPS calls to one cluster member, trusting the cluster CA. The failover client is built on it.
public struct MemberClient: Sendable {
    public let address: String
    let http: HTTPClient

    /// Largest response body read; larger answers are an error, not an allocation.
    public static let maxResponseBytes = 4 << 20
    /// Time allowed for one request, connection included.
    public static let requestTimeout: TimeAmount = .seconds(5)
    /// Time allowed to connect (TCP and TLS) to a member: several inter-region round trips.
    public static let connectTimeout: TimeAmount = .milliseconds(750)

    public init(address: String, http: HTTPClient) {
        self.address = address
        self.http = http
    }

    /// An HTTP client that trusts only the cluster CA in `caCertificatePath` (and presents a client
    /// certificate when given one, for operator actions). Shut it down with `shutdown()` when done.
    /// With `connectionPerRequest`, every request opens a connection of its own, as a phone waking up does.
    public static func makeHTTPClient(
        caCertificatePath: String, clientCertificate: (certificate: String, privateKey: String)? = nil,
        maxConnectionsPerMember: Int = 8, connectionPerRequest: Bool = false
    ) throws -> HTTPClient {
        precondition(maxConnectionsPerMember > 0, "at least one connection per member")
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caCertificatePath)
        tls.minimumTLSVersion = .tlsv12
        if let clientCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertificate.certificate).map {
                .certificate($0)
            }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientCertificate.privateKey, format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        // A dead member refuses at once, but the pool keeps re-dialling until the connect timeout, so this
        // bounds how long a call waits before failing over to the next member.
        configuration.timeout = .init(connect: Self.connectTimeout, read: Self.requestTimeout)
        // Below the members' idle timeout (`AdmissionLimits.defaultIdleTimeoutMilliseconds`): the client closes
        // an idle connection before a member does, so no request is sent on a connection being closed.
        configuration.connectionPool = .init(
            idleTimeout: .seconds(10), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnectionsPerMember)
        if connectionPerRequest { configuration.maximumUsesPerConnection = 1 }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// A failed call: the member answered with a problem document, or could not be reached.
    public enum CallError: Error, CustomStringConvertible, Sendable {
        /// `consistency`: for a decision (an unlock refused at a read point), how that read point was had —
        /// `strict` or `bounded` — as the problem document's `consistency` member says.
        case problem(status: Int, type: String, title: String, retryAfterSeconds: Int?, consistency: String? = nil)
        case unreachable(String)

        public var description: String {
            switch self {
            case .problem(let status, let type, let title, _, _): "\(status) \(type): \(title)"
            case .unreachable(let reason): "unreachable: \(reason)"
            }
        }
    }

    public func get<Answer: Decodable>(_ path: String, as: Answer.Type) async throws -> Answer {
        try await send(.GET, path, body: nil)
    }

    /// A plain-text resource (e.g. `/metrics`, `/openapi.yaml`).
    public func text(_ path: String) async throws -> String {
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(
                HTTPClientRequest(url: "https://\(address)\(path)"), timeout: Self.requestTimeout)
            bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            throw CallError.unreachable("\(address): \(ConnectionFailure.describe(error))")
        }
        guard response.status == .ok else {
            // `/healthz` and friends answer problems too (a member out of disk space, say): keep their type.
            let problem = try? JSONDecoder().decode(ProblemDocument.self, from: Data(bytes.readableBytesView))
            throw CallError.problem(
                status: Int(response.status.code), type: problem?.type ?? "about:blank",
                title: problem?.title ?? response.status.reasonPhrase,
                retryAfterSeconds: problem?.retryAfterSeconds)
        }
        return String(buffer: bytes)
    }

    public func put<Answer: Decodable>(_ path: String, body: [UInt8], as: Answer.Type) async throws -> Answer {
        try await send(.PUT, path, body: body)
    }

    public func post<Answer: Decodable>(_ path: String, body: [UInt8] = [], as: Answer.Type) async throws -> Answer {
        try await send(.POST, path, body: body)
    }

    /// One request with extra `headers` (e.g. a key holder's signature headers).
    public func send<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: [UInt8]?, headers: [(String, String)] = [],
        as: Answer.Type = Answer.self
    ) async throws -> Answer {
        do {
            return try await sendShowingProblems(method, path, body: body, headers: headers)
        } catch let refusal as Refusal {
            throw CallError.problem(
                status: refusal.status, type: refusal.problem?.type ?? "about:blank",
                title: refusal.problem?.title ?? refusal.reason, retryAfterSeconds: refusal.problem?.retryAfterSeconds,
                consistency: refusal.problem?.consistency)
        }
    }

    /// A call the member answered with an error status, with the whole problem document (nil when the body
    /// was not one) — for operator tools that show its detail and follow its `members`.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let status: Int
        public let reason: String
        public let problem: ProblemDocument?

        public var description: String {
            guard let problem else { return "\(status) \(reason)" }
            return "\(status) \(problem.title)" + (problem.detail.map { ": \($0)" } ?? "")
        }
    }

    /// Like `send`, but a refusal is thrown as `Refusal` (unreachable members still as `CallError.unreachable`).
    public func sendShowingProblems<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: [UInt8]?, headers: [(String, String)] = [],
        as: Answer.Type = Answer.self
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "https://\(address)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.add(name: "content-type", value: "application/json")
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: Self.requestTimeout)
            bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            throw CallError.unreachable("\(address): \(ConnectionFailure.describe(error))")
        }
        guard (200..<300).contains(response.status.code) else {
            throw Refusal(
                status: Int(response.status.code), reason: response.status.reasonPhrase,
                problem: try? JSONDecoder().decode(ProblemDocument.self, from: Data(bytes.readableBytesView)))
        }
        return try JSONDecoder().decode(Answer.self, from: Data(bytes.readableBytesView))
    }

    /// The fields of an RFC 9457 problem document a client reads.
    public struct ProblemDocument: Decodable, Sendable {
        public var type: String
        public var title: String
        public var detail: String?
        public var retryAfterSeconds: Int?
        /// Where to go instead (e.g. the leader's client address).
        public var members: [String]?
        /// For a decision refused at a read point: `strict` or `bounded`.
        public var consistency: String?
        /// For a decision refused at a read point: the revision it was read at.
        public var revision: UInt64?
    }
}
