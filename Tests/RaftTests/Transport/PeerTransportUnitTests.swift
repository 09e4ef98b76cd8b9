import ClusterIdentity
import Foundation
import NIOCore
import TestSupport
import Testing
import X509

@testable import RaftCore
@testable import RaftNode
@testable import RaftTransport

@Suite("Peer transport parts")
struct PeerTransportUnitTests {
    static func frame(_ byte: UInt8, bytes: Int = 1) -> ByteBuffer {
        ByteBuffer(bytes: [UInt8](repeating: byte, count: bytes))
    }

    @Test("control frames leave before bulk frames queued earlier")
    func controlLaneFirst() {
        var queue = PeerSendQueue(maxFrames: 8, maxBytes: 1_024)
        #expect(queue.enqueue(Self.frame(1), lane: .bulk) == true)
        #expect(queue.enqueue(Self.frame(2), lane: .bulk) == true)
        #expect(queue.enqueue(Self.frame(3), lane: .control) == true)
        let order = (0..<3).compactMap { _ in queue.dequeue()?.getInteger(at: 0, as: UInt8.self) }
        #expect(order == [3, 1, 2])
        #expect(queue.dequeue() == nil)
    }

    @Test("each lane refuses frames beyond its frame and byte bounds, and the other lane still takes them")
    func laneBounds() {
        var queue = PeerSendQueue(maxFrames: 2, maxBytes: 10)
        #expect(queue.enqueue(Self.frame(1, bytes: 4), lane: .bulk) == true)
        #expect(queue.enqueue(Self.frame(2, bytes: 4), lane: .bulk) == true)
        #expect(queue.enqueue(Self.frame(3, bytes: 1), lane: .bulk) == false, "frame bound")
        #expect(queue.enqueue(Self.frame(4, bytes: 9), lane: .control) == true)
        #expect(queue.enqueue(Self.frame(5, bytes: 2), lane: .control) == false, "byte bound")
        #expect(queue.count == 3)
        let dropped = queue.removeAll()
        #expect(dropped == 3)
        #expect(queue.isEmpty)
    }

    @Test(
        "snapshot chunks go in the bulk lane, behind no heartbeat; the bulk lane reports the bytes a transfer paces on")
    func snapshotChunksUseBulkLane() {
        let metadata = SnapshotMetadata(
            index: 9, term: 2, configuration: MembershipConfiguration(voters: [NodeID(1), NodeID(2)]))
        let chunk = InstallSnapshotChunk(metadata: metadata, offset: 0, data: [1, 2, 3], isLast: false)
        #expect(PeerMessageTransport.lane(of: .installSnapshotChunk(chunk)) == .bulk)
        #expect(PeerMessageTransport.lane(of: .heartbeat(Heartbeat(commit: 0))) == .control)
        var queue = PeerSendQueue(maxFrames: 8, maxBytes: 1_024)
        #expect(queue.enqueue(Self.frame(1, bytes: 300), lane: .bulk) == true)
        #expect(queue.enqueue(Self.frame(2, bytes: 5), lane: .control) == true)
        #expect(queue.queuedBytes(in: .bulk) == 300)
        #expect(queue.queuedBytes(in: .control) == 5)
        _ = queue.dequeue()
        #expect(queue.queuedBytes(in: .control) == 0)
    }

    @Test("a long-lived lane keeps FIFO order across compactions")
    func fifoOrderAcrossCompaction() {
        var fifo = PeerFrameFIFO()
        var expected: [UInt8] = []
        var taken: [UInt8] = []
        for round in 0..<1_000 {
            fifo.append(Self.frame(UInt8(truncatingIfNeeded: round)))
            expected.append(UInt8(truncatingIfNeeded: round))
            if round % 3 != 0, let frame = fifo.popFirst() {
                taken.append(frame.getInteger(at: 0, as: UInt8.self) ?? 0)
            }
        }
        while let frame = fifo.popFirst() { taken.append(frame.getInteger(at: 0, as: UInt8.self) ?? 0) }
        #expect(taken == expected)
        #expect(fifo.queuedBytes == 0)
    }

    @Test("reconnect delays grow to the maximum and stay within half a step of it")
    func backoffBounds() {
        let backoff = PeerReconnectBackoff(initialDelayMilliseconds: 50, maxDelayMilliseconds: 5_000)
        var random = SeededGenerator(seed: TestSeed.make("backoff"))
        for attempt in 0..<100 {
            let step = min(5_000, 50 << min(attempt, 30))
            let delay = backoff.delayMilliseconds(attempt: attempt, using: &random)
            #expect(delay >= step / 2 && delay <= step)
        }
    }

    @Test("cluster identity URIs parse only in their exact forms")
    func identityURIs() {
        #expect(ClusterIdentity(uri: "urn:keycluster:node:42") == .node(42))
        #expect(ClusterIdentity(uri: "urn:keycluster:region:eu-west") == .region("eu-west"))
        #expect(ClusterIdentity(uri: "urn:keycluster:operator:alice") == .operator("alice"))
        for bad in [
            "urn:keycluster:node:+4", "urn:keycluster:node:", "urn:keycluster:node:1x",
            "urn:keycluster:node:99999999999999999999",
            "urn:keycluster:region:", "urn:keycluster:region:a b", "urn:keycluster:other:x", "urn:other:node:1",
            "urn:keycluster:node",
        ] {
            #expect(ClusterIdentity(uri: bad) == nil, "\(bad)")
        }
        for identity in [ClusterIdentity.node(7), .region("us-east-1"), .operator("ops.bob")] {
            #expect(ClusterIdentity(uri: identity.uri) == identity)
        }
    }

    @Test("issued node certificates name the node and region, chain to the CA, and keys are written 0600")
    func issuedCertificates() async throws {
        try await TemporaryDirectory.with("transport-issuer") { directory in
            let issuer = try CertificateIssuer.makeCA()
            let node = try issuer.issueNode(id: 3, region: "ap-south")
            #expect(try ClusterIdentity.nodeID(in: node.certificate) == 3)
            #expect(try ClusterIdentity.identities(in: node.certificate).contains(.region("ap-south")))
            #expect(node.certificate.issuer == issuer.ca.certificate.subject)
            #expect(issuer.ca.certificate.publicKey.isValidSignature(node.certificate.signature, for: node.certificate))

            let operatorCredential = try issuer.issueOperator(name: "alice")
            #expect(throws: ClusterIdentityError.noNodeIdentity) {
                try ClusterIdentity.nodeID(in: operatorCredential.certificate)
            }

            let certificatePath = directory.appending("node3.pem")
            let keyPath = directory.appending("node3.key")
            try node.writePEM(certificatePath: certificatePath, privateKeyPath: keyPath)
            let keyMode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int
            #expect(keyMode == 0o600)
            #expect(PeerTLSContexts.looseMode(ofPrivateKeyAt: keyPath) == nil)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
            #expect(PeerTLSContexts.looseMode(ofPrivateKeyAt: keyPath) == 0o644)
            // Rewriting replaces the file, so the key is back to 0600 rather than keeping the loose mode.
            try node.writePEM(certificatePath: certificatePath, privateKeyPath: keyPath)
            #expect(PeerTLSContexts.looseMode(ofPrivateKeyAt: keyPath) == nil)

            // A CA read back from its PEM files issues certificates that the same checks accept.
            let reloaded = try CertificateIssuer(
                caCertificatePEM: try issuer.ca.certificatePEM(), caPrivateKeyPEM: try issuer.ca.privateKeyPEM())
            #expect(try ClusterIdentity.nodeID(in: try reloaded.issueNode(id: 9, region: "eu").certificate) == 9)
            #expect(throws: IssuerError.notACertificateAuthority) {
                try CertificateIssuer(
                    caCertificatePEM: try node.certificatePEM(), caPrivateKeyPEM: try node.privateKeyPEM())
            }
        }
    }

    @Test("connection warnings beyond the rate are suppressed and the next admitted line counts them")
    func warningRateLimit() {
        let start = ContinuousClock.now
        var limiter = PeerWarningRateLimiter(maxWarningsPerSecond: 3, now: start)
        let first = (0..<5).map { _ in limiter.admit(now: start + .milliseconds(10)).admitted }
        #expect(first == [true, true, true, false, false])
        let next = limiter.admit(now: start + .milliseconds(1_010))
        #expect(next.admitted && next.suppressedBefore == 2)
        #expect(limiter.admit(now: start + .milliseconds(1_020)).suppressedBefore == 0)
    }
}
