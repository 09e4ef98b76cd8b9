import TestSupport
import Testing

@testable import RaftTransport

@Suite("Peer transport refuses peers that are not who they must be")
struct PeerTransportSecurityTests {
    @Test("a listener presenting another node's certificate is refused by the dialer")
    func dialerRefusesWrongServerIdentity() async throws {
        try await TemporaryDirectory.with("transport-wrong-server") { directory in
            let ca = try TransportTestCA(directory)
            // Node 3 listens with node 2's certificate; node 1 dials it as node 3.
            let impostor = try await TransportTestNode(id: 3, peers: [:], tls: try ca.nodeFiles(certifiedID: 2))
            let node1 = try await TransportTestNode(
                id: 1, peers: [3: impostor.address], tls: try ca.nodeFiles(certifiedID: 1))
            impostor.transport.updatePeers([1: node1.address])
            try await shuttingDown([node1, impostor]) {
                try await waitUntil("node 1 refuses twice (first dial and a redial)") {
                    node1.transport.status().connectionsRefused >= 2
                }
                #expect(!node1.isConnected(to: 3))
                #expect(node1.transport.status().peers[3]?.connectionsEstablished == 0)
                #expect(!node1.transport.send(to: 3, payload: [1], lane: .control))
            }
        }
    }

    @Test("a dialer whose certificate names another node is refused by the listener")
    func listenerRefusesWrongClientIdentity() async throws {
        try await TemporaryDirectory.with("transport-wrong-client") { directory in
            let ca = try TransportTestCA(directory)
            // Node 5 expects node 2; the dialer claims to be node 2 but holds a certificate for node 4.
            let node5 = try await TransportTestNode(id: 5, peers: [:], tls: try ca.nodeFiles(certifiedID: 5))
            let impostor = try await TransportTestNode(
                id: 2, peers: [5: node5.address], tls: try ca.nodeFiles(certifiedID: 4))
            node5.transport.updatePeers([2: impostor.address])
            try await shuttingDown([node5, impostor]) {
                try await waitUntil("node 5 refuses repeatedly") { node5.transport.status().connectionsRefused >= 5 }
                #expect(node5.transport.status().peers[2]?.connectionsEstablished == 0)
                #expect(!node5.isConnected(to: 2))
                // The impostor's TLS 1.3 handshake completes before node 5 checks it, so it believes each
                // connection up for a moment; its redial backoff must still grow, not restart every time.
                let attempts = impostor.transport.state.withLock { $0.links[5]?.dialAttempt ?? 0 }
                #expect(attempts >= 4)
            }
        }
    }

    @Test("a dialer with a certificate from a different CA is refused")
    func foreignCAIsRefused() async throws {
        try await TemporaryDirectory.with("transport-foreign-ca") { directory in
            let ca = try TransportTestCA(directory, label: "cluster")
            let foreign = try TransportTestCA(directory, label: "foreign")
            let node2 = try await TransportTestNode(id: 2, peers: [:], tls: try ca.nodeFiles(certifiedID: 2))
            // The intruder holds a valid-looking certificate for node 1, signed by another CA, and trusts the
            // cluster CA: the handshake fails because node 2 verifies the intruder, not the other way round.
            let intruder = try await TransportTestNode(
                id: 1, peers: [2: node2.address], tls: try foreign.nodeFiles(certifiedID: 1, trusting: ca.caPath))
            node2.transport.updatePeers([1: intruder.address])
            try await shuttingDown([node2, intruder]) {
                try await waitUntil("node 2 refuses the foreign certificate") {
                    node2.transport.status().connectionsRefused >= 2
                }
                #expect(node2.transport.status().peers[1]?.connectionsEstablished == 0)
                // In TLS 1.3 the client finishes its handshake before the server has checked the client's
                // certificate, so the intruder may briefly think it is connected; nothing it sends is read.
                #expect(node2.receivedPayloads(from: 1).isEmpty)
            }
        }
    }

    @Test("a TLS client that presents no certificate is refused")
    func clientWithoutCertificateIsRefused() async throws {
        try await TemporaryDirectory.with("transport-no-cert") { directory in
            let ca = try TransportTestCA(directory)
            let node2 = try await TransportTestNode(
                id: 2, peers: [1: undialedPeerAddress], tls: try ca.nodeFiles(certifiedID: 2))
            try await shuttingDown([node2]) {
                let client = try await RawTestClient.connect(
                    to: node2.port, tls: try ca.nodeFiles(certifiedID: 1), presentCertificate: false)
                // Anything it manages to send before the server's verdict must not be read as a frame.
                try? await client.write([0, 0, 0, 2, PeerFrameFormat.currentVersion, 7])
                try await client.waitUntilClosed()
                #expect(node2.transport.status().connectionsRefused == 1)
                #expect(node2.receivedPayloads(from: 1).isEmpty)
            }
        }
    }

    @Test("an operator certificate cannot open a peer link")
    func operatorCertificateIsRefused() async throws {
        try await TemporaryDirectory.with("transport-operator") { directory in
            let ca = try TransportTestCA(directory)
            let node2 = try await TransportTestNode(id: 2, peers: [:], tls: try ca.nodeFiles(certifiedID: 2))
            let operatorCredential = try ca.issuer.issueOperator(name: "alice")
            let files = PeerTLSFiles(
                caCertificatePath: ca.caPath, certificatePath: directory.appending("alice.pem"),
                privateKeyPath: directory.appending("alice.key"))
            try operatorCredential.writePEM(
                certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)
            try await shuttingDown([node2]) {
                let client = try await RawTestClient.connect(to: node2.port, tls: files)
                try await client.waitUntilClosed()
                #expect(node2.transport.status().connectionsRefused == 1)
            }
        }
    }

    @Test("a plain TCP client sending garbage is disconnected and the node keeps working")
    func plainTCPGarbageIsDisconnected() async throws {
        try await TemporaryDirectory.with("transport-garbage") { directory in
            let ca = try TransportTestCA(directory)
            let nodes = try await startFullMesh([1, 2], ca: ca)
            try await shuttingDown(Array(nodes.values)) {
                try await waitUntil("link up") { nodes[1]!.isLinked(with: nodes[2]!) }
                let client = try await RawTestClient.connect(to: nodes[2]!.port)
                try await client.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + [0, 0, 0, 5, 1, 9, 9, 9, 9])
                try await client.waitUntilClosed()
                try await waitUntil("the refusal is counted") { nodes[2]!.transport.status().connectionsRefused >= 1 }
                #expect(nodes[2]!.transport.status().connectionsRefused == 1)
                #expect(nodes[1]!.transport.send(to: 2, payload: [1, 2, 3], lane: .control))
                try await waitUntil("the real peer still gets frames") {
                    nodes[2]!.receivedPayloads(from: 1) == [[1, 2, 3]]
                }
            }
        }
    }

    @Test("a client that never starts TLS is closed after the handshake timeout")
    func silentClientTimesOut() async throws {
        try await TemporaryDirectory.with("transport-silent") { directory in
            let ca = try TransportTestCA(directory)
            var limits = transportTestLimits()
            limits.handshakeTimeoutMilliseconds = 100
            let node = try await TransportTestNode(
                id: 2, peers: [:], tls: try ca.nodeFiles(certifiedID: 2), limits: limits)
            try await shuttingDown([node]) {
                let client = try await RawTestClient.connect(to: node.port)
                try await client.waitUntilClosed()
                try await waitUntil("the refusal is counted") { node.transport.status().connectionsRefused >= 1 }
                #expect(
                    node.transport.status().connectionsRefused == 1, "counted once, not again for the errors of closing"
                )
            }
        }
    }
}
