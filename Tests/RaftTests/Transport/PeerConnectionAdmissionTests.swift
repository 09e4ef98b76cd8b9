import NIOCore
import Testing

@testable import RaftTransport

@Suite("Peer transport admission of unverified connections and the line limiter (bookkeeping only)")
struct PeerConnectionAdmissionTests {
    private let sourceA = PeerConnectionSource("192.0.2.1")
    private let sourceB = PeerConnectionSource("192.0.2.2")

    @Test("a full budget takes the place of its oldest silent connection, never of one that has spoken")
    func fullBudgetEvictsOldestSilent() {
        var admission = PeerConnectionAdmission<Int>(maxConnections: 3, maxConnectionsPerSource: 3)
        #expect(admission.admit(1, from: sourceA) == .admit)
        #expect(admission.admit(2, from: sourceA) == .admit)
        #expect(admission.admit(3, from: sourceB) == .admit)
        admission.spoke(1)
        #expect(admission.admit(4, from: sourceB) == .admitEvicting(2), "1 spoke; 2 is the oldest silent one")
        #expect(admission.admit(5, from: sourceA) == .admitEvicting(3))
        #expect(admission.count == 3)
        admission.spoke(4)
        admission.spoke(5)
        #expect(admission.admit(6, from: sourceB) == .refuse(perSource: false), "every held connection is handshaking")
        #expect(admission.count == 3)
    }

    @Test("a source at its cap gives up its own oldest silent connection, not another source's")
    func sourceCapEvictsOnlyItsOwn() {
        var admission = PeerConnectionAdmission<Int>(maxConnections: 10, maxConnectionsPerSource: 2)
        #expect(admission.admit(1, from: sourceB) == .admit)
        #expect(admission.admit(2, from: sourceA) == .admit)
        #expect(admission.admit(3, from: sourceA) == .admit)
        #expect(admission.admit(4, from: sourceA) == .admitEvicting(2), "1 is older, but it is source B's")
        admission.spoke(3)
        admission.spoke(4)
        #expect(admission.admit(5, from: sourceA) == .refuse(perSource: true))
        #expect(admission.count(from: sourceA) == 2)
        #expect(admission.admit(6, from: sourceB) == .admit, "another source still gets in")
    }

    @Test("a verified or closed connection gives its slot back")
    func removingFreesTheSlot() {
        var admission = PeerConnectionAdmission<Int>(maxConnections: 2, maxConnectionsPerSource: 2)
        #expect(admission.admit(1, from: sourceA) == .admit)
        #expect(admission.admit(2, from: sourceA) == .admit)
        admission.spoke(1)
        admission.spoke(2)
        admission.remove(1)
        admission.remove(7)
        #expect(admission.count == 1 && admission.count(from: sourceA) == 1)
        #expect(admission.admit(3, from: sourceA) == .admit)
    }

    @Test("sources: an IPv4 address, an IPv6 /64, an IPv4-mapped IPv6 address as its IPv4 address")
    func sourceKeys() throws {
        func source(_ ip: String) throws -> PeerConnectionSource {
            PeerConnectionSource(try SocketAddress(ipAddress: ip, port: 4000))
        }
        #expect(try source("192.0.2.1") == PeerConnectionSource("192.0.2.1"))
        #expect(try source("192.0.2.1") != source("192.0.2.2"))
        #expect(try source("2001:db8:1:2::1") == source("2001:db8:1:2:ffff::9"))
        #expect(try source("2001:db8:1:2::1") != source("2001:db8:1:3::1"))
        #expect(try source("::ffff:192.0.2.1") == PeerConnectionSource("192.0.2.1"))
        #expect(try source("::ffff:192.0.2.1") != source("::ffff:192.0.2.2"))
    }

    @Test("the line limiter admits its rate per second and says how many it left out")
    func lineLimiter() {
        let start = ContinuousClock.now
        var limiter = PeerWarningRateLimiter(maxWarningsPerSecond: 3, now: start)
        let firstSecond = (0..<10).map { _ in limiter.admit(now: start + .milliseconds(10)) }
        #expect(firstSecond.filter(\.admitted).count == 3)
        #expect(firstSecond.allSatisfy { $0.suppressedBefore == 0 })
        let next = limiter.admit(now: start + .milliseconds(1_010))
        #expect(next.admitted && next.suppressedBefore == 7)
        let after = limiter.admit(now: start + .milliseconds(1_020))
        #expect(after.admitted && after.suppressedBefore == 0, "the count is reported once")
    }
}
