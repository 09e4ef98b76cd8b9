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

    /// The (vehicle, key) pairs requests are spread over: one for the unlock bench's single hot vehicle,
    /// the whole loaded fleet for `bench scale` (so reads touch the state as a fleet's unlocks would).
    let targets: [(vin: VIN, holder: KeyHolder)]
    let bounded: Bool
    static let body = Array("{\"command\":\"unlock\"}".utf8)
    private let pool: [(path: String, headers: [(String, String)])]
    private let taken = Atomic<Int>(0)
    private let signedLate = Atomic<Int>(0)

    convenience init(vin: VIN, holder: KeyHolder, bounded: Bool, seconds: Int) throws {
        try self.init(targets: [(vin, holder)], bounded: bounded, seconds: seconds)
    }

    /// Each prepared request is for a target picked at random.
    init(targets: [(vin: VIN, holder: KeyHolder)], bounded: Bool, seconds: Int) throws {
        precondition(!targets.isEmpty, "unlocks need a target")
        self.targets = targets
        self.bounded = bounded
        let count = Self.presignedPerSecond * min(seconds, Self.maxPresignedSeconds)
        let now = WallClock.nowUnixMs()
        pool = try (0..<count).map { _ in
            try Self.signed(targets[Int.random(in: 0..<targets.count)], bounded: bounded, nowUnixMs: now)
        }
    }

    /// Requests signed during the run because the pool ran out.
    var signedDuringRun: Int { signedLate.load(ordering: .relaxed) }

    /// Sends the next prepared unlock to `address`; true when the member answered 200 with a token. The
    /// body is read and dropped: the token's content is checked by the tests, not by the benchmark.
    func send(to address: String, http: HTTPClient) async -> Bool {
        let index = taken.wrappingAdd(1, ordering: .relaxed).oldValue
        let (path, headers): (String, [(String, String)])
        if index < pool.count {
            (path, headers) = pool[index]
        } else {
            signedLate.wrappingAdd(1, ordering: .relaxed)
            guard let target = targets.randomElement(),
                let signed = try? Self.signed(target, bounded: bounded, nowUnixMs: WallClock.nowUnixMs())
            else { return false }
            (path, headers) = signed
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

    private static func signed(
        _ target: (vin: VIN, holder: KeyHolder), bounded: Bool, nowUnixMs: Int64
    ) throws -> (path: String, headers: [(String, String)]) {
        let path = "/v1/vehicles/\(target.vin.text)/commands" + (bounded ? "?consistency=bounded" : "")
        return (
            path,
            try target.holder.signatureHeaders(
                method: "POST", path: path, vin: target.vin, command: "unlock", body: body, nowUnixMs: nowUnixMs)
        )
    }
}
