import Foundation
import KeyCluster
import Synchronization

/// Signed unlock requests kept ready for each key of a storm that runs longer than the members' ±30 s
/// timestamp window, so a user's request costs no P-256 work when it is sent (`PresignedUnlocks` prepares one
/// pool for a run of at most 15 s; this one keeps topping its pools up). Every request has its own fresh
/// nonce; one signed too long ago to be accepted is dropped, not sent. When a key's pool is empty the request
/// is signed as it is sent, and counted, so a report shows whether the generator kept up.
final class RollingSignedUnlocks: Sendable {
    /// A request is not sent once this old: it must still be well inside the members' ±30 s window when it
    /// arrives, after queueing in the client and on the member.
    static let maxAgeMilliseconds: Int64 = 15_000
    /// How often the refiller tops the pools up.
    static let refillIntervalMilliseconds = 100

    struct Signed: Sendable {
        let headers: [(String, String)]
        let signedAtUnixMs: Int64
    }

    /// A key's ready requests, oldest first (`head` is the next one taken).
    private struct Pool {
        var items: [Signed] = []
        var head = 0

        mutating func dropExpired(now: Int64) {
            while head < items.count, now - items[head].signedAtUnixMs > RollingSignedUnlocks.maxAgeMilliseconds {
                head += 1
            }
            if head > items.count / 2 {
                items.removeFirst(head)
                head = 0
            }
        }

        var ready: Int { items.count - head }
    }

    let vin: VIN
    let path: String
    let holders: [KeyHolder]
    private let targets: [Int]
    /// One lock for every key's pool: taking is a few instructions, so contention stays negligible.
    private let pools: Mutex<[Pool]>
    private let inline = Atomic<Int>(0)
    private let ahead = Atomic<Int>(0)

    /// `targets`: requests kept ready for each key of `holders` (its expected request rate × the lead time
    /// wanted), at least one.
    init(vin: VIN, holders: [KeyHolder], targets: [Int]) {
        precondition(targets.count == holders.count, "a target per key")
        self.vin = vin
        self.holders = holders
        self.targets = targets.map { max(1, $0) }
        path = "/v1/vehicles/\(vin.text)/commands"
        pools = Mutex(holders.map { _ in Pool() })
    }

    /// Requests signed as they were sent because their key's pool was empty.
    var signedInline: Int { inline.load(ordering: .relaxed) }
    /// Requests signed ahead by the refiller.
    var signedAhead: Int { ahead.load(ordering: .relaxed) }

    /// The next ready request of key `key` (an index into `holders`), or one signed now; nil only when
    /// signing fails, which a valid key never does.
    func take(key: Int) -> [(String, String)]? {
        let now = WallClock.nowUnixMs()
        let ready = pools.withLock { pools -> Signed? in
            pools[key].dropExpired(now: now)
            guard pools[key].head < pools[key].items.count else { return nil }
            defer { pools[key].head += 1 }
            return pools[key].items[pools[key].head]
        }
        if let ready { return ready.headers }
        inline.add(1, ordering: .relaxed)
        return try? sign(key: key, now: now).headers
    }

    /// Tops every pool up to its target; the signing happens outside the locks.
    func refill() {
        for key in holders.indices {
            let now = WallClock.nowUnixMs()
            let missing = pools.withLock { pools in
                pools[key].dropExpired(now: now)
                return targets[key] - pools[key].ready
            }
            guard missing > 0 else { continue }
            let fresh = (0..<missing).compactMap { _ in try? sign(key: key, now: now) }
            ahead.add(fresh.count, ordering: .relaxed)
            pools.withLock { $0[key].items.append(contentsOf: fresh) }
        }
    }

    /// Refills until `deadline` (the end of the storm) or cancellation.
    func keepRefilled(until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline, !Task.isCancelled {
            refill()
            try? await Task.sleep(for: .milliseconds(Self.refillIntervalMilliseconds))
        }
    }

    private func sign(key: Int, now: Int64) throws -> Signed {
        Signed(
            headers: try holders[key].signatureHeaders(
                method: "POST", path: path, vin: vin, command: "unlock", body: PresignedUnlocks.body, nowUnixMs: now),
            signedAtUnixMs: now)
    }
}
