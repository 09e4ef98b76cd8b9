import ClusterIdentity
import Foundation
import NIOSSL

/// The TLS contexts of peer links, made once from PEM files: both sides present this node's certificate and
/// require the other's, verified against the cluster CA only (not the system roots). Hostnames are not
/// checked — peers move between addresses — identity is the node id in the certificate, checked by
/// `PeerConnectionHandler` right after the handshake.
struct PeerTLSContexts: Sendable {
    let server: NIOSSLContext
    let client: NIOSSLContext

    init(files: PeerTLSFiles) throws {
        let ca = try NIOSSLCertificate.fromPEMFile(files.caCertificatePath)
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath).map {
            NIOSSLCertificateSource.certificate($0)
        }
        let key = NIOSSLPrivateKeySource.privateKey(try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem))

        var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateChain = chain
        client.privateKey = key
        Self.harden(&server, trusting: ca)
        Self.harden(&client, trusting: ca)
        self.server = try NIOSSLContext(configuration: server)
        self.client = try NIOSSLContext(configuration: client)
    }

    /// The file's permission bits if group or others may access it, else `nil`.
    static func looseMode(ofPrivateKeyAt path: String) -> mode_t? { PrivateKeyFile.looseMode(at: path) }

    private static func harden(_ configuration: inout TLSConfiguration, trusting ca: [NIOSSLCertificate]) {
        configuration.trustRoots = .certificates(ca)
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = .tlsv13
    }
}
