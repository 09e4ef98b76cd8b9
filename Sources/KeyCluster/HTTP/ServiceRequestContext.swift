import ClusterIdentity
import Foundation
import Hummingbird
import NIOCore
import NIOSSL
import X509

/// The request context of the API: Hummingbird's, plus the TLS channel so an operator action can read the
/// client certificate that authenticated it.
struct ServiceRequestContext: SourceAddressContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Answers use the API forms of values (`APIEncoding`), never their stored forms.
    var responseEncoder: JSONEncoder { APIEncoding.answers }

    /// Whether the client presented a certificate (verified against the cluster CA in the handshake).
    var hasClientCertificate: Bool {
        get async { (try? await channel.nioSSL_peerCertificate().get()) != nil }
    }

    /// The client's address, the unit of fair shares (`AdmissionControl`).
    var sourceAddress: String { SourceAddress.of(channel) }

    /// The operator named by the client certificate (issued by the cluster CA, verified in the handshake),
    /// or a 403 problem when the client presented none or not an operator's.
    func operatorName() async throws -> OperatorName {
        let presented = try? await channel.nioSSL_peerCertificate().get()
        guard let presented, let certificate = try? Certificate(derEncoded: presented.toDERBytes()) else {
            throw Problem(
                "operator-required", status: .forbidden, title: "This action needs an operator client certificate")
        }
        for identity in (try? ClusterIdentity.identities(in: certificate)) ?? [] {
            if case .operator(let name) = identity, let operatorName = try? OperatorName(validating: name) {
                return operatorName
            }
        }
        throw Problem(
            "operator-required", status: .forbidden, title: "The client certificate does not name an operator")
    }
}
