import Synchronization
import Testing

@testable import RaftNode

/// Raft messages stay within one cluster: a peer frame from another cluster is dropped, a member without
/// an id adopts the first one it hears (and stores it), and a member most of whose peers are another
/// cluster's learns that it is the stranger.
@Suite("cluster id gate")
struct ClusterIDGateTests {
    static let ours = ClusterID(bytes: (1...16).map { UInt8($0) })!
    static let theirs = ClusterID(bytes: (101...116).map { UInt8($0) })!
    static let message: [UInt8] = [9, 9, 9]

    private func frame(_ id: ClusterID?) -> [UInt8] { (id?.bytes ?? ClusterID.unknownWireBytes) + Self.message }

    @Test("ids print and parse as 32 hex digits; zeros and wrong lengths are not ids")
    func hex() {
        #expect(ClusterID(hex: "\(Self.ours)") == Self.ours)
        #expect("\(Self.ours)" == "0102030405060708090a0b0c0d0e0f10")
        #expect(ClusterID(hex: "0102030405060708090A0B0C0D0E0F10") == Self.ours)
        #expect(ClusterID(hex: String(repeating: "0", count: 32)) == nil)
        #expect(ClusterID(hex: "0102") == nil)
        #expect(ClusterID(hex: "zz02030405060708090a0b0c0d0e0f10") == nil)
        #expect(ClusterID(bytes: [1, 2, 3]) == nil)
    }

    @Test("same cluster and peers without an id pass; another cluster's frames are dropped and counted")
    func verdicts() {
        let gate = ClusterIDGate(clusterID: Self.ours) { _ in Issue.record("a member with an id never stores another") }
        #expect(gate.seal(Self.message) == frame(Self.ours))
        #expect(gate.admit(frame(Self.ours), from: 2, otherMembers: 4) == .accept)
        #expect(gate.admit(frame(nil), from: 2, otherMembers: 4) == .accept)
        #expect(gate.admit(frame(Self.theirs), from: 2, otherMembers: 4) == .foreign(Self.theirs))
        #expect(gate.admit([1, 2, 3], from: 2, otherMembers: 4) == .malformed)
        #expect(gate.foreignFrames == 1)
        #expect(gate.clusterID == Self.ours)
    }

    @Test("a member without an id adopts the first one heard, stores it once, then refuses others")
    func adoption() {
        let stored = Mutex<[ClusterID]>([])
        let gate = ClusterIDGate(clusterID: nil) { id in stored.withLock { $0.append(id) } }
        #expect(gate.seal(Self.message) == frame(nil))
        #expect(gate.admit(frame(nil), from: 2, otherMembers: 2) == .accept)
        #expect(gate.admit(frame(Self.ours), from: 2, otherMembers: 2) == .adopted(Self.ours))
        #expect(gate.admit(frame(Self.ours), from: 3, otherMembers: 2) == .accept)
        #expect(gate.admit(frame(Self.theirs), from: 3, otherMembers: 4) == .foreign(Self.theirs))
        #expect(stored.withLock { $0 } == [Self.ours])
        #expect(gate.seal(Self.message) == frame(Self.ours))
    }

    @Test("an adoption that cannot be stored is not made")
    func adoptionStoreFails() {
        struct DiskFull: Error {}
        let gate = ClusterIDGate(clusterID: nil) { _ in throw DiskFull() }
        #expect(gate.admit(frame(Self.ours), from: 2, otherMembers: 2) == .malformed)
        #expect(gate.clusterID == nil)
    }

    @Test("the stranger is told once most other members are another cluster's; a minority is not enough")
    func foreignMajority() async {
        let gate = ClusterIDGate(clusterID: Self.ours) { _ in }
        // Five members: this one and four others. Two foreign peers are not a majority of four; a peer that
        // speaks our id again is no longer counted; the report comes with the third, once — so what it
        // names shows when it came.
        _ = gate.admit(frame(Self.theirs), from: 2, otherMembers: 4)
        _ = gate.admit(frame(Self.theirs), from: 3, otherMembers: 4)
        _ = gate.admit(frame(Self.ours), from: 2, otherMembers: 4)
        _ = gate.admit(frame(Self.theirs), from: 4, otherMembers: 4)
        _ = gate.admit(frame(Self.theirs), from: 5, otherMembers: 4)
        _ = gate.admit(frame(Self.theirs), from: 2, otherMembers: 4)
        let report = await gate.foreignMajority()
        #expect(report?.local == Self.ours)
        #expect(Set(report?.foreign.keys.map { $0 } ?? []) == [3, 4, 5])
        #expect(report.map { "\($0)" }?.contains("another cluster's state") == true)
    }
}
