import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import Prometheus
import RaftCore
import RaftNode
import RaftTransport
import ServiceLifecycle
import Storage
import X509

/// One member process: the LMDB environment, the Raft node and its mutual-TLS peer links, and the HTTPS
/// API — assembled from a `NodeConfiguration` and run until SIGTERM or SIGINT.
public struct KeyClusterServer: Sendable {
    public let configuration: NodeConfiguration
    let logger: Logger

    public init(configuration: NodeConfiguration, logger: Logger = Logger(label: "keycluster")) throws {
        try configuration.validate()
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.id)"
        self.logger = logger
    }

    /// Runs until a termination signal, then shuts down in order: HTTP stops accepting, the node finishes
    /// its writes, links close, the environment closes.
    public func run() async throws {
        // Raft's own traffic — the node, its peer links, the frames they carry — on a thread of its own,
        // so request load never delays a heartbeat (design §11).
        let raftThread = await RaftExecutor.dedicated(logger: logger)
        do {
            try await serve(raftThread: raftThread)
        } catch {
            await raftThread.shutdown()
            throw error
        }
        await raftThread.shutdown()
    }

    private func serve(raftThread: RaftExecutor) async throws {
        let me = try configuration.me
        let environment = try Environment(
            path: configuration.dataDirectory, options: configuration.effectiveQuota.environmentOptions)
        let stateMachine = try ServiceStateMachine(environment: environment)
        let clusterGate = try clusterGate(environment: environment)
        let peers = try PeerTransport(
            configuration: peerTransportConfiguration(me: me), group: raftThread.group, logger: logger)
        // This member's own registry, passed to whatever exports metrics — never the process-global
        // `MetricsSystem`, which can be bootstrapped once per process while tests run several members in one.
        let registry = PrometheusCollectorRegistry()
        let node = try RaftNode(
            id: NodeID(configuration.id), configuration: configuration.bootstrapMembership,
            environment: environment, stateMachine: stateMachine,
            transport: PeerMessageTransport(
                peers: peers, clusterGate: clusterGate, executor: raftThread, logger: logger), options: nodeOptions,
            observer: RaftEventMetrics(registry: registry), logger: logger, executor: raftThread)

        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: HTTPMetricsMiddleware(registry: registry))
        router.add(middleware: UnroutedRequestMiddleware(declared: DeclaredRoutes(openAPIYAML: OpenAPIDocument.yaml)))
        let admissionLimits = configuration.effectiveAdmission
        router.add(
            middleware: AdmissionMiddleware(admission: AdmissionControl(limits: admissionLimits, registry: registry)))
        // Each key id's share of the same budgets, taken by the routes once a signature verifies.
        let keyShares = KeyShares(limits: admissionLimits, registry: registry)
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let storage = StorageGuard(
            quota: configuration.effectiveQuota, memberID: configuration.id, dataDirectory: configuration.dataDirectory,
            node: node, stateMachine: stateMachine, registry: registry, logger: logger)
        Routes(
            node: node, stateMachine: stateMachine, maxStaleness: configuration.effectiveMaxStaleness,
            debugRoutes: configuration.debugRoutes == true, storage: storage, clusterGate: clusterGate, peers: peers
        )
        .register(on: router)
        ClusterRoutes(node: node).register(on: router)
        BackupRoutes(node: node, clusterGate: clusterGate, logger: logger).register(on: router)
        let signer = try SigningCredential(
            nodeID: configuration.id, certificatePath: configuration.tls.signingCertificate ?? "",
            privateKeyPath: configuration.tls.signingPrivateKey ?? "",
            registry: registry, logger: logger)
        let readPath = ReadPath(
            node: node, maxStaleness: configuration.effectiveMaxStaleness,
            fallbacks: StrictFallbacks(registry: registry, logger: logger))
        // One replay cache for every signed request this member answers without the log (unlocks, reads).
        let nonces = NonceCache()
        DomainRoutes(
            writer: CommandProposer(node: node, storage: storage), readPath: readPath, stateMachine: stateMachine,
            environment: environment,
            signer: signer,
            reads: ReadAuthorizer(
                readPath: readPath, store: stateMachine.authorizations, environment: environment, nonces: nonces,
                keyShares: keyShares),
            keyShares: keyShares
        ).register(on: router)
        UnlockRoutes(
            readPath: readPath, stateMachine: stateMachine, environment: environment, signer: signer, nonces: nonces,
            keyShares: keyShares
        ).register(on: router)
        MemberRoutes(node: node).register(on: router)
        SignerRoutes(
            proposer: CommandProposer(node: node, storage: storage), stateMachine: stateMachine,
            environment: environment
        )
        .register(on: router)
        // The document is the contract: a route it does not describe (or one it describes that nothing
        // serves) is a bug, stopped at start in debug builds (every process test) and logged in release.
        let mismatches = DeclaredRoutes(openAPIYAML: OpenAPIDocument.yaml).mismatches(
            registered: router.routes.map { (method: $0.method, path: $0.path.description) })
        for mismatch in mismatches {
            logger.error("route and OpenAPI document disagree", metadata: ["route": "\(mismatch)"])
        }
        assert(mismatches.isEmpty, "routes and the OpenAPI document disagree: \(mismatches)")
        let clientEndpoint = try NodeConfiguration.endpoint(me.clientAddress, of: "clientAddress")
        let app = Application(
            router: router,
            server: .guardedTLS(
                tlsConfiguration: try clientTLSConfiguration(),
                table: ClientConnectionTable(limits: admissionLimits, registry: registry)),
            configuration: .init(
                address: .hostname(clientEndpoint.host, port: clientEndpoint.port), serverName: "keycluster"),
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: RaftService(
                            node: node, transport: peers,
                            metrics: NodeMetrics(
                                registry: registry, tlsCertificateNotValidAfter: try memberCertificateNotValidAfter()),
                            storage: storage, signer: signer, clusterGate: clusterGate)),
                    .init(service: app),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.info(
            "serving",
            metadata: [
                "region": "\(me.region)", "peers": "\(me.peerAddress)", "clients": "https://\(me.clientAddress)",
            ])
        try await group.run()
    }

    /// The peer transport of this member: its listen address, the other members, its TLS files, and the
    /// peer-port limits of the configuration's `peer` object (validated at `init`).
    func peerTransportConfiguration(me: NodeConfiguration.Member) throws -> PeerTransportConfiguration {
        let listen = try NodeConfiguration.endpoint(me.peerAddress, of: "peerAddress")
        var peers: [TransportPeerID: PeerAddress] = [:]
        for member in configuration.members where member.id != configuration.id {
            peers[member.id] = try NodeConfiguration.endpoint(member.peerAddress, of: "member \(member.id) peerAddress")
        }
        return PeerTransportConfiguration(
            localID: configuration.id, listenHost: listen.host, listenPort: listen.port, peers: peers,
            tls: PeerTLSFiles(
                caCertificatePath: configuration.tls.caCertificate, certificatePath: configuration.tls.certificate,
                privateKeyPath: configuration.tls.privateKey),
            limits: configuration.effectivePeer.transportLimits)
    }

    private var nodeOptions: RaftNodeOptions {
        var options = RaftNodeOptions()
        options.tickInterval = .milliseconds(configuration.timing.tickMilliseconds)
        options.raft.electionTimeoutTicks = configuration.timing.electionTicks
        options.raft.heartbeatIntervalTicks = configuration.timing.heartbeatTicks
        configuration.snapshots?.apply(to: &options)
        return options
    }

    /// Clients reach the API over TLS with the node's certificate (it names localhost and 127.0.0.1 and
    /// chains to the cluster CA, which clients trust). A client certificate is optional — key holders sign
    /// requests instead — but when one is presented it must chain to the cluster CA; operator actions
    /// require one that names an operator.
    /// The client port's TLS 1.2 suites (the member certificates are P-256): ECDHE with AES-GCM or
    /// ChaCha20-Poly1305 only.
    static let tls12CipherSuites =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"

    /// When this member's TLS certificate (the first in its file) expires, for `keycluster_tls_certificate_expires_in_seconds`.
    private func memberCertificateNotValidAfter() throws -> Date {
        guard let certificate = try NIOSSLCertificate.fromPEMFile(configuration.tls.certificate).first else {
            throw NodeConfiguration.Invalid(reason: "no certificate in \(configuration.tls.certificate)")
        }
        return Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
    }

    private func clientTLSConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(configuration.tls.certificate).map {
            NIOSSLCertificateSource.certificate($0)
        }
        let key = try NIOSSLPrivateKey(file: configuration.tls.privateKey, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        // TLS 1.2 only with forward-secret AEAD suites (no CBC, no SHA-1); TLS 1.3's suites are all AEAD.
        tls.cipherSuites = Self.tls12CipherSuites
        tls.trustRoots = .file(configuration.tls.caCertificate)
        tls.certificateVerification = .optionalVerification
        return tls
    }
}
