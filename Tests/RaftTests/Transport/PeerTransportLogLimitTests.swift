import Synchronization
import TestSupport
import Testing

@testable import RaftCore
@testable import RaftNode
@testable import RaftWire

/// Issue 12 item 10: a member's unusable frames must not become one log line each.
@Suite("Peer transport: repetitive peer-port lines are rate-limited")
struct PeerTransportLogLimitTests {
    @Test("undecodable frames from a verified member are logged within maxFrameWarningsPerSecond")
    func undecodableFramesAreRateLimited() async throws {
        let garbage: [UInt8] = [0xff, 0xff, 0xff]
        #expect(throws: (any Error).self) { try MessageCodec.decode(garbage) }
        try await TemporaryDirectory.with("transport-frame-lines") { directory in
            let ca = try TransportTestCA(directory)
            let limits = transportTestLimits()
            let node2 = try await TransportTestNode(
                id: 2, peers: [:], tls: try ca.nodeFiles(certifiedID: 2), limits: limits, consume: false)
            let node1 = try await TransportTestNode(
                id: 1, peers: [2: node2.address], tls: try ca.nodeFiles(certifiedID: 1), limits: limits)
            node2.transport.updatePeers([1: node1.address])
            let lines = CapturedLogLines()
            let gate = ClusterIDGate(clusterID: ClusterID(bytes: (1...16).map { UInt8($0) })) { _ in }
            let messages = PeerMessageTransport(peers: node2.transport, clusterGate: gate, logger: lines.logger)
            let validArrived = Mutex(false)
            let reader = Task {
                for await message in messages.inbound where message.from == NodeID(1) {
                    validArrived.withLock { $0 = true }
                    return
                }
            }
            try await shuttingDown([node1, node2]) {
                try await waitUntil("link up", deadlineSeconds: 10) { node1.isLinked(with: node2) }
                let frames = 200
                // Behind a sender without a cluster id yet (accepted), so each frame reaches the decoder.
                for _ in 0..<frames {
                    #expect(node1.transport.send(to: 2, payload: ClusterID.unknownWireBytes + garbage, lane: .control))
                }
                // Frames of one lane arrive in order: once this one is read, every garbage frame was handled.
                let heartbeat = Message(from: NodeID(1), to: NodeID(2), term: 1, body: .heartbeat(Heartbeat(commit: 0)))
                #expect(
                    node1.transport.send(
                        to: 2, payload: ClusterID.unknownWireBytes + MessageCodec.encode(heartbeat), lane: .control))
                try await waitUntil("the valid message after the garbage is read", deadlineSeconds: 10) {
                    validArrived.withLock { $0 }
                }
                let logged = lines.count(of: "dropped an undecodable frame")
                // The frames may straddle a second boundary: at most two seconds' worth, never one per frame.
                #expect(
                    logged >= 1 && logged <= 2 * limits.maxFrameWarningsPerSecond,
                    "\(logged) lines for \(frames) frames")
            }
            reader.cancel()
        }
    }
}
