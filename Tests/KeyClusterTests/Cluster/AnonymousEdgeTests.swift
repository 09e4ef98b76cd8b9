import Foundation
import KeyCluster
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What an anonymous client can do at the edge (design §9), on a real cluster: nothing reaches the log, and
/// connections that never speak do not keep their slots.
@Suite("The client port against anonymous clients", .serialized)
struct AnonymousEdgeTests {
    /// The idle timeout the members run with here (short, so the test is quick).
    static let idleTimeoutMilliseconds = 500
    /// Silent connections opened at once.
    static let silentConnections = 50

    @Test("without debugRoutes the diagnostic routes do not exist; with them, an anonymous caller is refused and nothing is written")
    func diagnosticRoutes() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"], configure: { $0.debugRoutes = nil }) { cluster in
            let leader = try await cluster.waitForLeader()
            for (method, path) in [("PUT", "/debug/kv/x"), ("POST", "/debug/counter/x"), ("GET", "/debug/kv/x")] {
                await #expect(throws: MemberClient.CallError.self, "\(method) \(path)") {
                    _ = try await cluster.client(leader).send(method == "GET" ? .GET : method == "PUT" ? .PUT : .POST, path, body: [], as: WriteResponse.self)
                }
                await #expect(throws: MemberClient.CallError.self, "\(method) \(path) as operator") {
                    _ = try await cluster.operatorClient(leader).send(method == "GET" ? .GET : method == "PUT" ? .PUT : .POST, path, body: [], as: WriteResponse.self)
                }
            }
            let applied = try await cluster.status(leader).appliedIndex
            do {
                _ = try await cluster.client(leader).send(.PUT, "/debug/kv/x", body: [], as: WriteResponse.self)
            } catch MemberClient.CallError.problem(let status, _, _, _, _) {
                #expect(status == 404)
            }
            #expect(try await cluster.status(leader).appliedIndex == applied, "nothing was written")
        }
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            let leader = try await cluster.waitForLeader()
            do {
                _ = try await cluster.client(leader).send(.PUT, "/debug/kv/x", body: Array("v".utf8), as: WriteResponse.self)
                Issue.record("an anonymous debug write was accepted")
            } catch MemberClient.CallError.problem(let status, let type, _, _, _) {
                #expect(status == 403 && type.hasSuffix("operator-required"))
            }
            #expect(try await cluster.put("y", "1", via: leader) > 0, "an operator may")
        }
    }

    @Test("TCP connections that never start TLS are closed after the idle timeout")
    func silentConnectionsAreClosed() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"], configure: { configuration in
            var admission = configuration.admission ?? AdmissionLimits()
            admission.idleTimeoutMilliseconds = Self.idleTimeoutMilliseconds
            configuration.admission = admission
        }) { cluster in
            let leader = try await cluster.waitForLeader()
            let address = try #require(cluster.member(leader)?.clientAddress)
            let port = try #require(address.split(separator: ":").last.flatMap { UInt16($0) })
            let sockets = try (0..<Self.silentConnections).map { _ in try Self.connect(port: port) }
            defer { for socket in sockets { close(socket) } }
            // Each read blocks until the server closes (0 bytes) or the receive timeout (then -1): a deadline.
            for socket in sockets {
                var byte: UInt8 = 0
                #expect(recv(socket, &byte, 1, 0) == 0, "the member closed a silent connection")
            }
            #expect(try await cluster.status(leader).leader != nil, "the member serves on")
        }
    }

    /// A TCP connection to 127.0.0.1:`port` that reads with a 10 s deadline.
    static func connect(port: UInt16) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
        return descriptor
    }
}
