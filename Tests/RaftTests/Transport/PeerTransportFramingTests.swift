import NIOCore
import TestSupport
import Testing

@testable import RaftTransport

@Suite("Peer frames on the wire")
struct PeerTransportFramingTests {
    enum BadFrame: CaseIterable, Sendable {
        case oversize, unknownVersion, emptyFrame

        func bytes(maxFrameBytes: Int) -> [UInt8] {
            switch self {
            case .oversize:
                withUnsafeBytes(of: UInt32(maxFrameBytes + 1).bigEndian, Array.init) + [PeerFrameFormat.currentVersion]
            case .unknownVersion: [0, 0, 0, 2, PeerFrameFormat.currentVersion &+ 1, 0]
            case .emptyFrame: [0, 0, 0, 0]
            }
        }
    }

    @Test("a malformed frame from an authenticated peer closes its connection", arguments: BadFrame.allCases)
    func malformedFrameClosesConnection(_ bad: BadFrame) async throws {
        try await TemporaryDirectory.with("transport-bad-frame") { directory in
            let ca = try TransportTestCA(directory)
            var limits = transportTestLimits()
            limits.maxFrameBytes = 1_024
            limits.maxQueuedBytesPerPeer = 64 * 1_024
            limits.maxInboundBytes = 64 * 1_024
            let node2 = try await TransportTestNode(
                id: 2, peers: [1: undialedPeerAddress],
                tls: try ca.nodeFiles(certifiedID: 2), limits: limits)
            try await shuttingDown([node2]) {
                // A hand-made client with node 1's real certificate: it passes the identity check.
                let client = try await RawTestClient.connect(to: node2.port, tls: try ca.nodeFiles(certifiedID: 1))
                let good = PeerFrameFormat.encode(
                    payload: [5, 5], maxFrameBytes: limits.maxFrameBytes, allocator: ByteBufferAllocator())
                try await client.write(Array(buffer: good))
                try await waitUntil("the good frame arrives") { node2.receivedPayloads(from: 1) == [[5, 5]] }
                try await client.write(bad.bytes(maxFrameBytes: limits.maxFrameBytes))
                try await client.waitUntilClosed()
                #expect(node2.transport.status().connectionsClosedForBadFrames == 1)
                try await waitUntil("the link is down") { !node2.isConnected(to: 1) }
            }
        }
    }

    @Test("a full send lane drops frames and counts them")
    func fullLaneDrops() async throws {
        try await TemporaryDirectory.with("transport-queue-full") { directory in
            let ca = try TransportTestCA(directory)
            var limits = transportTestLimits()
            limits.maxFrameBytes = 64 * 1_024 + 1
            limits.maxQueuedFramesPerPeer = 4
            limits.maxQueuedBytesPerPeer = 4 * limits.maxFrameBytes
            let node1 = try await TransportTestNode(
                id: 1, peers: [:], tls: try ca.nodeFiles(certifiedID: 1), limits: limits)
            let node2 = try await TransportTestNode(
                id: 2, peers: [1: node1.address], tls: try ca.nodeFiles(certifiedID: 2), limits: limits)
            node1.transport.updatePeers([2: node2.address])
            try await shuttingDown([node1, node2]) {
                try await waitUntil("link up") { node1.isLinked(with: node2) }
                let payload = [UInt8](repeating: 0xAB, count: 64 * 1_024)
                let attemptsBound = 20_000
                var attempts = 0
                // `send` never waits, so a tight loop outruns encryption and the socket: the lane fills.
                while node1.transport.send(to: 2, payload: payload, lane: .bulk), attempts < attemptsBound {
                    attempts += 1
                }
                let status = node1.transport.status().peers[2]!
                #expect(status.framesDroppedQueueFull >= 1)
                // Control frames have their own lane: a heartbeat still gets through a full bulk lane.
                #expect(node1.transport.send(to: 2, payload: [1], lane: .control))
                try await waitUntil("the heartbeat arrives", deadlineSeconds: 30) {
                    node2.receivedPayloads(from: 1).contains([1])
                }
            }
        }
    }

    @Test("frames sent to a peer that is not connected are dropped and counted")
    func disconnectedPeerDrops() async throws {
        try await TemporaryDirectory.with("transport-not-connected") { directory in
            let ca = try TransportTestCA(directory)
            let node1 = try await TransportTestNode(
                id: 1, peers: [2: undialedPeerAddress], tls: try ca.nodeFiles(certifiedID: 1))
            try await shuttingDown([node1]) {
                #expect(!node1.transport.send(to: 2, payload: [1], lane: .control))
                #expect(!node1.transport.send(to: 2, payload: [2], lane: .bulk))
                #expect(node1.transport.status().peers[2]?.framesDroppedNotConnected == 2)
            }
        }
    }

    @Test("a consumer that does not keep up makes inbound frames drop at the bound, counted")
    func slowConsumerDrops() async throws {
        try await TemporaryDirectory.with("transport-inbound-bound") { directory in
            let ca = try TransportTestCA(directory)
            var limits = transportTestLimits()
            limits.maxInboundFrames = 8
            let node2 = try await TransportTestNode(
                id: 2, peers: [1: undialedPeerAddress], tls: try ca.nodeFiles(certifiedID: 2), limits: limits,
                consume: false)
            let node1 = try await TransportTestNode(
                id: 1, peers: [2: node2.address], tls: try ca.nodeFiles(certifiedID: 1))
            try await shuttingDown([node1, node2]) {
                try await waitUntil("link up") { node1.isLinked(with: node2) }
                for index in 0..<100 { #expect(node1.transport.send(to: 2, payload: [UInt8(index)], lane: .bulk)) }
                try await waitUntil("all 100 accounted for") {
                    let status = node2.transport.status().peers[1]!
                    return status.framesReceived + status.framesDroppedInbound == 100
                }
                let status = node2.transport.status().peers[1]!
                #expect(status.framesReceived == 8)
                #expect(status.framesDroppedInbound == 92)
                var iterator = node2.transport.inboundFrames.makeAsyncIterator()
                // The oldest frames are kept: Raft messages are retransmitted, so which survive does not matter
                // for safety, but keeping the first ones keeps them in order.
                #expect(await iterator.next()?.payload == [0])
            }
        }
    }
}
