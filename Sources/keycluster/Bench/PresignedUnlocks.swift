import AsyncHTTPClient
import Foundation
import KeyCluster
import NIOCore
import Synchronization

/// Unlock requests signed before a measured run, each with its own fresh nonce, so the generator spends no
/// P-256 work inside the window it measures (issue 14: on 2 shared cores the generator's CPU is taken from
/// the servers'). Signatures stay valid for the members' ±30 s timestamp window, so a pool covers at most
/// `maxPresignedSeconds` of load; past the pool each request is signed as it is sent, and counted.
final class PresignedUnlocks: Sendable {
    /// Requests prepared per second of run: above what either system has reached here at any level.
    static let presignedPerSecond = 7_000
    /// A pool never covers more than this: the first request of the run must still be inside the
    /// members' ±30 s timestamp window when the last of the pool is sent.
    static let maxPresignedSeconds = 15

    let vin: VIN
    let holder: KeyHolder
    let path: String
    static let body = Array("{\"command\":\"unlock\"}".utf8)
    private let pool: [[(String, String)]]
    private let taken = Atomic<Int>(0)
    private let signedLate = Atomic<Int>(0)

    init(vin: VIN, holder: KeyHolder, bounded: Bool, seconds: Int) throws {
        self.vin = vin
        self.holder = holder
        let path = "/v1/vehicles/\(vin.text)/commands" + (bounded ? "?consistency=bounded" : "")
        self.path = path
        let count = Self.presignedPerSecond * min(seconds, Self.maxPresignedSeconds)
        let now = WallClock.nowUnixMs()
        pool = try (0..<count).map { _ in try Self.headers(vin: vin, holder: holder, path: path, nowUnixMs: now) }
    }

    /// Requests signed during the run because the pool ran out.
    var signedDuringRun: Int { signedLate.load(ordering: .relaxed) }

    /// Sends the next prepared unlock to `address`; true when the member answered 200 with a token. The
    /// body is read and dropped: the token's content is checked by the tests, not by the benchmark.
    func send(to address: String, http: HTTPClient) async -> Bool {
        let index = taken.wrappingAdd(1, ordering: .relaxed).oldValue
        let headers: [(String, String)]
        if index < pool.count {
            headers = pool[index]
        } else {
            signedLate.wrappingAdd(1, ordering: .relaxed)
            guard let signed = try? Self.headers(vin: vin, holder: holder, path: path, nowUnixMs: WallClock.nowUnixMs()) else { return false }
            headers = signed
        }
        var request = HTTPClientRequest(url: "https://\(address)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: Self.body))
        guard let response = try? await http.execute(request, timeout: .seconds(5)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }

    private static func headers(vin: VIN, holder: KeyHolder, path: String, nowUnixMs: Int64) throws -> [(String, String)] {
        try holder.signatureHeaders(method: "POST", path: path, vin: vin, command: "unlock", body: body, nowUnixMs: nowUnixMs)
    }
}
