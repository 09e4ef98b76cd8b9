import ClusterIdentity
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import TestSupport

@testable import RaftTransport

/// A throwaway cluster CA in a temporary directory, and the PEM files of the node certificates it issues.
struct TransportTestCA {
    let directory: TemporaryDirectory
    let issuer: CertificateIssuer
    let label: String

    init(_ directory: TemporaryDirectory, label: String = "ca") throws {
        self.directory = directory
        self.label = label
        issuer = try CertificateIssuer.makeCA(commonName: "test CA \(label)")
        try PEMFile.write(try issuer.ca.certificatePEM(), to: caPath, mode: 0o644)
    }

    var caPath: String { directory.appending("\(label)-ca.pem") }

    /// TLS files for a node whose certificate names `certifiedID`, trusting this CA unless `trusting` names
    /// another CA file.
    func nodeFiles(certifiedID: TransportPeerID, region: String = "eu-west", trusting: String? = nil) throws
        -> PeerTLSFiles
    {
        let credential = try issuer.issueNode(id: certifiedID, region: region)
        let stem = directory.appending("\(label)-node\(certifiedID)-\(UInt32.random(in: 0 ... .max))")
        try credential.writePEM(certificatePath: stem + ".pem", privateKeyPath: stem + ".key")
        return PeerTLSFiles(
            caCertificatePath: trusting ?? caPath, certificatePath: stem + ".pem", privateKeyPath: stem + ".key")
    }
}

/// Small timings so reconnect tests run fast; bounds as in production otherwise.
func transportTestLimits() -> PeerTransportLimits {
    var limits = PeerTransportLimits()
    limits.reconnectInitialDelayMilliseconds = 10
    limits.reconnectMaxDelayMilliseconds = 200
    limits.handshakeTimeoutMilliseconds = 2_000
    return limits
}

func transportTestLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["KEYCLUSTER_TEST_LOG"] == nil ? .critical : .debug
    return logger
}

/// A started transport and the frames it has received, collected by a consumer task.
final class TransportTestNode: Sendable {
    let transport: PeerTransport
    let port: Int
    private let received = Mutex<[PeerInboundFrame]>([])
    private let consumer = Mutex<Task<Void, Never>?>(nil)

    /// Starts a transport; `consume: false` leaves `inboundFrames` unread (to test the inbound bound).
    init(
        id: TransportPeerID, port: Int = 0, peers: [TransportPeerID: PeerAddress], tls: PeerTLSFiles,
        limits: PeerTransportLimits = transportTestLimits(), consume: Bool = true
    ) async throws {
        let configuration = PeerTransportConfiguration(
            localID: id, listenHost: "127.0.0.1", listenPort: port, peers: peers, tls: tls, limits: limits)
        transport = try PeerTransport(configuration: configuration, logger: transportTestLogger("node\(id)"))
        self.port = try await transport.start()
        guard consume else { return }
        let transport = transport
        // The task holds the node until `shutdown()` ends the stream.
        let task = Task {
            for await frame in transport.inboundFrames { self.received.withLock { $0.append(frame) } }
        }
        consumer.withLock { $0 = task }
    }

    var address: PeerAddress { PeerAddress(host: "127.0.0.1", port: port) }

    func receivedPayloads(from peer: TransportPeerID) -> [[UInt8]] {
        received.withLock { $0.filter { $0.from == peer }.map(\.payload) }
    }

    func isConnected(to peer: TransportPeerID) -> Bool {
        transport.status().peers[peer]?.isConnected ?? false
    }

    /// Both ends have verified the link. Waiting for one end is not enough: in TLS 1.3 the dialer's
    /// handshake finishes before the acceptor has checked it, and frames sent then are lost if it refuses.
    func isLinked(with other: TransportTestNode) -> Bool {
        isConnected(to: other.transport.localID) && other.isConnected(to: transport.localID)
    }

    func shutdown() async {
        await transport.shutdown()
        let task = consumer.withLock { $0 }
        await task?.value
    }
}

/// Where a node records a lower-id peer whose address it does not know yet: such a peer dials us, so the
/// address is never used (port 9 is "discard" in any case).
let undialedPeerAddress = PeerAddress(host: "127.0.0.1", port: 9)

/// Starts nodes with ids `ids` on ephemeral ports and tells each about the others. The listeners must be up
/// before peers can be named, so nodes start with no peers and are then given the full set — highest id
/// first, so that every node already knows a peer by the time that peer dials it (else the first dial
/// is refused and retried, which tests of link events would see).
func startFullMesh(_ ids: [TransportPeerID], ca: TransportTestCA) async throws -> [TransportPeerID: TransportTestNode] {
    var nodes: [TransportPeerID: TransportTestNode] = [:]
    for id in ids {
        nodes[id] = try await TransportTestNode(id: id, peers: [:], tls: try ca.nodeFiles(certifiedID: id))
    }
    for (id, node) in nodes.sorted(by: { $0.key > $1.key }) {
        var peers: [TransportPeerID: PeerAddress] = [:]
        for (other, otherNode) in nodes where other != id { peers[other] = otherNode.address }
        node.transport.updatePeers(peers)
    }
    return nodes
}

/// A raw TCP connection (optionally TLS with the given files) for sending hand-made bytes to a transport.
struct RawTestClient {
    let channel: Channel

    /// `presentCertificate: false` makes a TLS client that trusts the cluster CA but shows no certificate,
    /// like `openssl s_client` run without `-cert`.
    /// `sourceHost` binds the client's end to another loopback address (any of 127/8 on Linux), to be a
    /// different source for the per-source cap.
    static func connect(
        to port: Int, tls: PeerTLSFiles? = nil, presentCertificate: Bool = true, sourceHost: String? = nil
    ) async throws -> RawTestClient {
        let sslContext: NIOSSLContext? = try tls.map { files in
            var configuration = TLSConfiguration.makeClientConfiguration()
            if presentCertificate {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(files.certificatePath).map {
                    .certificate($0)
                }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem))
            }
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(files.caCertificatePath))
            configuration.certificateVerification = .noHostnameVerification
            return try NIOSSLContext(configuration: configuration)
        }
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let sourceHost { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: sourceHost, port: 0)) }
        let channel =
            try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: nil))
                    }
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawTestClient(channel: channel)
    }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Waits until the server closes the connection; throws if it does not within the deadline.
    func waitUntilClosed(deadlineSeconds: Double = 10) async throws {
        try await waitUntil("server closes the raw connection", deadlineSeconds: deadlineSeconds) { !channel.isActive }
    }

    func close() async {
        try? await channel.close()
    }

    /// Sends the first bytes of a TLS handshake record and nothing more: a handshake in progress, which the
    /// transport cannot tell from a slow member until its deadline. The write may fail: the server may
    /// have refused the connection already.
    static func connectStartingHandshake(to port: Int, sourceHost: String? = nil) async throws -> RawTestClient {
        let client = try await connect(to: port, sourceHost: sourceHost)
        try? await client.write([0x16, 0x03, 0x01])
        return client
    }
}

/// The messages logged through a `CapturingLogHandler`.
final class CapturedLogLines: Sendable {
    /// One record: its level, message and metadata (values as text).
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    func append(_ line: Line) { lines.withLock { $0.append(line) } }

    func count(of message: String) -> Int { lines.withLock { $0.filter { $0.message == message }.count } }

    var captured: [Line] { lines.withLock { $0 } }

    var logger: Logger { Logger(label: "captured") { _ in CapturingLogHandler(lines: self) } }
}

/// Collects the messages logged through it, to count lines a test provoked.
struct CapturingLogHandler: LogHandler {
    let lines: CapturedLogLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { _, new in new }.mapValues { "\($0)" }
        lines.append(CapturedLogLines.Line(level: event.level, message: "\(event.message)", metadata: fields))
    }
}

/// Runs `body`, then shuts every node down whether it threw or not, so no test leaves connections behind.
func shuttingDown(_ nodes: [TransportTestNode], _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        for node in nodes { await node.shutdown() }
        throw error
    }
    for node in nodes { await node.shutdown() }
}
