import TestSupport
import Testing

@testable import RaftTransport

/// Issue 12 item 6: strangers holding connections open on the peer port must not keep members apart.
/// Handshake deadlines here are long (unless the deadline is what is tested), so that a slot a stranger
/// holds is freed only by the admission rules under test, never by the clock.
@Suite("Peer transport: only verified members hold slots; strangers share a small budget")
struct PeerTransportAdmissionTests {
    private static func limits(unverified: Int, perSource: Int, handshakeTimeoutMilliseconds: Int = 30_000)
        -> PeerTransportLimits
    {
        var limits = transportTestLimits()
        limits.maxUnverifiedConnections = unverified
        limits.maxUnverifiedConnectionsPerSource = perSource
        limits.handshakeTimeoutMilliseconds = handshakeTimeoutMilliseconds
        return limits
    }

    /// Sends a frame each way on the 1–3 and 2–3 links and waits for them.
    private static func exchangeFrames(_ node3: TransportTestNode, with dialers: [TransportTestNode]) async throws {
        for node in dialers {
            let id = node.transport.localID
            #expect(node.transport.send(to: 3, payload: [UInt8(id), 1], lane: .control))
            #expect(node3.transport.send(to: id, payload: [3, UInt8(id)], lane: .bulk))
            try await waitUntil("frames both ways with node \(id)", deadlineSeconds: 10) {
                node3.receivedPayloads(from: id) == [[UInt8(id), 1]]
                    && node.receivedPayloads(from: 3) == [[3, UInt8(id)]]
            }
        }
    }

    /// Node 3 (which two configured peers dial) and a flood of silent connections to it.
    private static func withFloodedNode(
        _ label: String, limits: PeerTransportLimits, strangers: Int,
        _ body: (TransportTestCA, TransportTestNode, SilentConnectionFlood) async throws -> Void
    ) async throws {
        try await TemporaryDirectory.with(label) { directory in
            let ca = try TransportTestCA(directory)
            let node3 = try await TransportTestNode(
                id: 3, peers: [1: undialedPeerAddress, 2: undialedPeerAddress], tls: try ca.nodeFiles(certifiedID: 3),
                limits: limits)
            let flood = try SilentConnectionFlood(port: node3.port, count: strangers)
            do {
                try await shuttingDown([node3]) {
                    try await waitUntil("the strangers fill node 3's unverified budget", deadlineSeconds: 10) {
                        node3.transport.status().unverifiedConnections == limits.maxUnverifiedConnections
                    }
                    try await body(ca, node3, flood)
                }
            } catch {
                try? await flood.stop()
                throw error
            }
            try await flood.stop()
        }
    }

    @Test(
        "two configured peers link and exchange frames while silent strangers, reopened as they close, overfill the budget"
    )
    func peersLinkThroughASilentFlood() async throws {
        // The strangers (from 127.0.0.2) may hold the whole budget, so the global rule is what is tested.
        let limits = Self.limits(unverified: 8, perSource: 8)
        try await Self.withFloodedNode("transport-flood", limits: limits, strangers: 24) { ca, node3, flood in
            try await waitUntil("strangers are being turned away", deadlineSeconds: 10) { flood.closedByServer >= 16 }
            let dialers = [
                try await TransportTestNode(
                    id: 1, peers: [3: node3.address], tls: try ca.nodeFiles(certifiedID: 1), limits: limits),
                try await TransportTestNode(
                    id: 2, peers: [3: node3.address], tls: try ca.nodeFiles(certifiedID: 2), limits: limits),
            ]
            try await shuttingDown(dialers) {
                try await waitUntil("both peers link with node 3 during the flood", deadlineSeconds: 10) {
                    dialers.allSatisfy { $0.isLinked(with: node3) }
                }
                try await Self.exchangeFrames(node3, with: dialers)
                #expect(node3.transport.status().unverifiedConnections <= limits.maxUnverifiedConnections)
                #expect(node3.transport.status().connectionsEvicted > 0)
            }
        }
    }

    @Test("silent connections are closed at the handshake deadline and give their slots back")
    func silentConnectionsTimeOut() async throws {
        try await TemporaryDirectory.with("transport-silent-budget") { directory in
            let ca = try TransportTestCA(directory)
            let limits = Self.limits(unverified: 4, perSource: 4, handshakeTimeoutMilliseconds: 200)
            let node = try await TransportTestNode(
                id: 2, peers: [:], tls: try ca.nodeFiles(certifiedID: 2), limits: limits)
            try await shuttingDown([node]) {
                var clients: [RawTestClient] = []
                for _ in 0..<4 { clients.append(try await RawTestClient.connect(to: node.port)) }
                for client in clients { try await client.waitUntilClosed(deadlineSeconds: 5) }
                try await waitUntil("the slots are given back", deadlineSeconds: 5) {
                    node.transport.status().unverifiedConnections == 0
                        && node.transport.status().connectionsRefused == 4
                }
                #expect(node.transport.status().connectionsEvicted == 0)
            }
        }
    }

    @Test("one source holds no more than its cap of handshaking connections; another source still gets in")
    func perSourceCap() async throws {
        try await TemporaryDirectory.with("transport-per-source") { directory in
            let ca = try TransportTestCA(directory)
            let limits = Self.limits(unverified: 16, perSource: 2)
            let node = try await TransportTestNode(
                id: 2, peers: [:], tls: try ca.nodeFiles(certifiedID: 2), limits: limits)
            try await shuttingDown([node]) {
                var first: [RawTestClient] = []
                for _ in 0..<2 { first.append(try await RawTestClient.connectStartingHandshake(to: node.port)) }
                try await waitUntil("the node sees both handshaking", deadlineSeconds: 10) {
                    node.transport.state.withLock { $0.unverified.spokenCount } == 2
                }
                // Neither a silent newcomer nor a handshaking one takes the place of a handshake in progress.
                let refused = [
                    try await RawTestClient.connect(to: node.port),
                    try await RawTestClient.connectStartingHandshake(to: node.port),
                ]
                for client in refused { try await client.waitUntilClosed() }
                #expect(first.allSatisfy { $0.channel.isActive })
                #expect(node.transport.status().unverifiedConnections == 2)
                #expect(node.transport.status().connectionsRefused == 2)
                var second: [RawTestClient] = []
                for _ in 0..<2 {
                    second.append(
                        try await RawTestClient.connectStartingHandshake(to: node.port, sourceHost: "127.0.0.2"))
                }
                try await waitUntil("127.0.0.2 holds its two as well", deadlineSeconds: 10) {
                    node.transport.status().unverifiedConnections == 4
                }
                #expect(second.allSatisfy { $0.channel.isActive })
                for client in first + second { await client.close() }
            }
        }
    }

    @Test("this member's dials do not compete with inbound strangers")
    func dialsDoNotCountAgainstTheInboundBudget() async throws {
        try await TemporaryDirectory.with("transport-dials") { directory in
            let ca = try TransportTestCA(directory)
            let limits = Self.limits(unverified: 2, perSource: 2)
            // Node 1 dials 2 and 3; its inbound budget is held by strangers that are handshaking (not evictable).
            let node1 = try await TransportTestNode(
                id: 1, peers: [:], tls: try ca.nodeFiles(certifiedID: 1), limits: limits)
            var strangers: [RawTestClient] = []
            for _ in 0..<2 { strangers.append(try await RawTestClient.connectStartingHandshake(to: node1.port)) }
            let others = [
                try await TransportTestNode(
                    id: 2, peers: [1: node1.address], tls: try ca.nodeFiles(certifiedID: 2), limits: limits),
                try await TransportTestNode(
                    id: 3, peers: [1: node1.address], tls: try ca.nodeFiles(certifiedID: 3), limits: limits),
            ]
            try await shuttingDown([node1] + others) {
                try await waitUntil("the strangers hold node 1's budget", deadlineSeconds: 10) {
                    node1.transport.status().unverifiedConnections == 2
                }
                node1.transport.updatePeers([2: others[0].address, 3: others[1].address])
                try await waitUntil("node 1's dials link", deadlineSeconds: 10) {
                    others.allSatisfy { $0.isLinked(with: node1) }
                }
                for other in others {
                    let id = other.transport.localID
                    #expect(node1.transport.send(to: id, payload: [1, UInt8(id)], lane: .control))
                    try await waitUntil("node \(id) gets node 1's frame", deadlineSeconds: 10) {
                        other.receivedPayloads(from: 1) == [[1, UInt8(id)]]
                    }
                }
                #expect(strangers.allSatisfy { $0.channel.isActive })
                for stranger in strangers { await stranger.close() }
            }
        }
    }

    @Test("verified members hold no unverified slot")
    func verifiedPeersGiveTheirSlotBack() async throws {
        try await TemporaryDirectory.with("transport-verified-slots") { directory in
            let ca = try TransportTestCA(directory)
            let limits = Self.limits(unverified: 2, perSource: 2)
            let node3 = try await TransportTestNode(
                id: 3, peers: [1: undialedPeerAddress, 2: undialedPeerAddress], tls: try ca.nodeFiles(certifiedID: 3),
                limits: limits)
            let dialers = [
                try await TransportTestNode(
                    id: 1, peers: [3: node3.address], tls: try ca.nodeFiles(certifiedID: 1), limits: limits),
                try await TransportTestNode(
                    id: 2, peers: [3: node3.address], tls: try ca.nodeFiles(certifiedID: 2), limits: limits),
            ]
            try await shuttingDown([node3] + dialers) {
                try await waitUntil("both peers link", deadlineSeconds: 10) {
                    dialers.allSatisfy { $0.isLinked(with: node3) }
                }
                #expect(node3.transport.status().unverifiedConnections == 0)
                // The whole budget is still there for connections that are handshaking.
                var strangers: [RawTestClient] = []
                for _ in 0..<2 { strangers.append(try await RawTestClient.connectStartingHandshake(to: node3.port)) }
                try await waitUntil("both strangers are admitted", deadlineSeconds: 10) {
                    node3.transport.status().unverifiedConnections == 2
                }
                #expect(node3.transport.status().connectionsRefused == 0)
                for stranger in strangers { await stranger.close() }
            }
        }
    }
}
