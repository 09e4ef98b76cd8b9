import TestSupport
import Testing

@testable import RaftTransport

@Suite("Peer transport links")
struct PeerTransportLinkTests {
    @Test("frames flow both ways between every pair of three nodes")
    func framesFlowBetweenEveryPair() async throws {
        try await TemporaryDirectory.with("transport-mesh") { directory in
            let ca = try TransportTestCA(directory)
            let nodes = try await startFullMesh([1, 2, 3], ca: ca)
            try await shuttingDown(Array(nodes.values)) {
                let pairs = [(1, 2), (1, 3), (2, 3)].map { (TransportPeerID($0.0), TransportPeerID($0.1)) }
                try await waitUntil("all links up", deadlineSeconds: 20) {
                    pairs.allSatisfy { a, b in nodes[a]!.isLinked(with: nodes[b]!) }
                }
                for (a, b) in pairs + pairs.map({ ($0.1, $0.0) }) {
                    for index in 0..<3 {
                        let lane: PeerTransportLane = index == 0 ? .control : .bulk
                        #expect(
                            nodes[a]!.transport.send(to: b, payload: [UInt8(a), UInt8(b), UInt8(index)], lane: lane))
                    }
                }
                for (a, b) in pairs + pairs.map({ ($0.1, $0.0) }) {
                    try await waitUntil("3 frames from \(a) at \(b)") { nodes[b]!.receivedPayloads(from: a).count == 3 }
                    // One connection carries the frames in order.
                    #expect(nodes[b]!.receivedPayloads(from: a) == (0..<3).map { [UInt8(a), UInt8(b), UInt8($0)] })
                }
                let status = nodes[1]!.transport.status()
                #expect(status.peers[2]?.framesSent == 3)
                #expect(status.peers[2]?.framesReceived == 3)
                #expect(status.peers[2]?.lastConnectedAt != nil)
                #expect(status.peers[2]?.isDialer == true)
                #expect(nodes[3]!.transport.status().peers[1]?.isDialer == false)
            }
        }
    }

    @Test("a peer that restarts on its address is reconnected to by the lower-id node")
    func listenerRestartIsRedialed() async throws {
        try await TemporaryDirectory.with("transport-restart-listener") { directory in
            let ca = try TransportTestCA(directory)
            let files2 = try ca.nodeFiles(certifiedID: 2)
            var node2 = try await TransportTestNode(id: 2, peers: [1: undialedPeerAddress], tls: files2)
            let node1 = try await TransportTestNode(
                id: 1, peers: [2: node2.address], tls: try ca.nodeFiles(certifiedID: 1))
            try await waitUntil("first connection") { node1.isLinked(with: node2) }

            let port = node2.port
            await node2.shutdown()
            try await waitUntil("node 1 sees the loss") { !node1.isConnected(to: 2) }
            node2 = try await TransportTestNode(id: 2, port: port, peers: [1: node1.address], tls: files2)
            let restarted = node2
            try await shuttingDown([node1, restarted]) {
                try await waitUntil("node 1 redials the restarted node 2", deadlineSeconds: 20) {
                    node1.isLinked(with: restarted)
                }
                #expect(node1.transport.send(to: 2, payload: [42], lane: .control))
                try await waitUntil("frame reaches the restarted node") {
                    restarted.receivedPayloads(from: 1) == [[42]]
                }
                #expect(node1.transport.status().peers[2]!.connectionsEstablished >= 2)
                var events = node1.transport.linkEvents.makeAsyncIterator()
                var seen: [PeerLinkEvent] = []
                for _ in 0..<3 { if let event = await events.next() { seen.append(event) } }
                #expect(seen == [.connected(2), .disconnected(2), .connected(2)])
            }
        }
    }

    @Test("a restarted lower-id node's new connection replaces the old one")
    func dialerRestartReplacesConnection() async throws {
        try await TemporaryDirectory.with("transport-restart-dialer") { directory in
            let ca = try TransportTestCA(directory)
            let files1 = try ca.nodeFiles(certifiedID: 1)
            let node2 = try await TransportTestNode(
                id: 2, peers: [1: undialedPeerAddress], tls: try ca.nodeFiles(certifiedID: 2))
            let first1 = try await TransportTestNode(id: 1, peers: [2: node2.address], tls: files1)
            try await waitUntil("first connection") { first1.isLinked(with: node2) }
            await first1.shutdown()

            let node1 = try await TransportTestNode(id: 1, peers: [2: node2.address], tls: files1)
            try await shuttingDown([node1, node2]) {
                try await waitUntil("node 2 accepts the new connection", deadlineSeconds: 20) {
                    node2.isConnected(to: 1) && node2.transport.status().peers[1]!.connectionsEstablished == 2
                }
                #expect(node2.transport.send(to: 1, payload: [7], lane: .bulk))
                try await waitUntil("frame reaches the restarted node 1") { node1.receivedPayloads(from: 2) == [[7]] }
            }
        }
    }

    @Test("a removed peer is disconnected and an added one connected")
    func membershipChangesUpdateLinks() async throws {
        try await TemporaryDirectory.with("transport-membership") { directory in
            let ca = try TransportTestCA(directory)
            let nodes = try await startFullMesh([1, 2, 3], ca: ca)
            try await shuttingDown(Array(nodes.values)) {
                try await waitUntil("node 1's links up", deadlineSeconds: 20) {
                    nodes[1]!.isLinked(with: nodes[2]!) && nodes[1]!.isLinked(with: nodes[3]!)
                }
                nodes[1]!.transport.updatePeers([2: nodes[2]!.address])
                try await waitUntil("node 3 sees node 1 go") { !nodes[3]!.isConnected(to: 1) }
                #expect(nodes[1]!.transport.status().peers[3] == nil)
                var events = nodes[1]!.transport.linkEvents.makeAsyncIterator()
                var seen: [PeerLinkEvent] = []
                for _ in 0..<3 { if let event = await events.next() { seen.append(event) } }
                #expect(Set(seen.prefix(2).map { "\($0)" }) == ["connected(2)", "connected(3)"])
                #expect(seen.last == .disconnected(3))
                #expect(!nodes[1]!.transport.send(to: 3, payload: [1], lane: .control))
                nodes[1]!.transport.updatePeers([2: nodes[2]!.address, 3: nodes[3]!.address])
                try await waitUntil("1–3 up again", deadlineSeconds: 20) { nodes[1]!.isLinked(with: nodes[3]!) }
            }
        }
    }

    @Test("a newer connection from the same peer replaces the older one")
    func newerConnectionReplacesOlder() async throws {
        try await TemporaryDirectory.with("transport-replace") { directory in
            let ca = try TransportTestCA(directory)
            let files1 = try ca.nodeFiles(certifiedID: 1)
            let node2 = try await TransportTestNode(
                id: 2, peers: [1: undialedPeerAddress], tls: try ca.nodeFiles(certifiedID: 2))
            let node1 = try await TransportTestNode(id: 1, peers: [2: node2.address], tls: files1)
            try await shuttingDown([node1, node2]) {
                try await waitUntil("link up") { node1.isLinked(with: node2) }
                // A second connection with node 1's certificate (as after a restart node 2 has not noticed).
                let second = try await RawTestClient.connect(to: node2.port, tls: files1)
                try await waitUntil("node 2 takes the newer connection") {
                    node2.transport.status().peers[1]!.connectionsEstablished >= 2
                }
                // Node 1 sees its connection closed, redials, and its new connection replaces the hand-made one.
                try await second.waitUntilClosed()
                try await waitUntil("node 1 back") { node1.isLinked(with: node2) }
                #expect(node1.transport.send(to: 2, payload: [9], lane: .control))
                try await waitUntil("frame flows on the newest connection") { node2.receivedPayloads(from: 1) == [[9]] }
            }
        }
    }

    @Test("a peer set given before start is the one used at start")
    func peersUpdatedBeforeStart() async throws {
        try await TemporaryDirectory.with("transport-early-peers") { directory in
            let ca = try TransportTestCA(directory)
            let node2 = try await TransportTestNode(
                id: 2, peers: [1: undialedPeerAddress], tls: try ca.nodeFiles(certifiedID: 2))
            let configuration = PeerTransportConfiguration(
                localID: 1, listenHost: "127.0.0.1", listenPort: 0, peers: [:], tls: try ca.nodeFiles(certifiedID: 1),
                limits: transportTestLimits())
            let transport = try PeerTransport(configuration: configuration, logger: transportTestLogger("node1"))
            transport.updatePeers([2: node2.address])
            try await transport.start()
            do {
                try await waitUntil("link up") {
                    transport.status().peers[2]?.isConnected == true && node2.isConnected(to: 1)
                }
            } catch {
                await transport.shutdown()
                await node2.shutdown()
                throw error
            }
            await transport.shutdown()
            await node2.shutdown()
        }
    }
}
