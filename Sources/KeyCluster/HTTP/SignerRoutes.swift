import ClusterIdentity
import Foundation
import Hummingbird
import Storage
import SwiftASN1
import X509

/// Operator routes for token-signing certificates withdrawn before their end (design §9): the withdrawal is
/// replicated, every member then names it in the key lists it signs (vehicles refuse what it signed), and the
/// member it belongs to signs nothing more with it.
struct SignerRoutes: Sendable {
    let proposer: CommandProposer
    let stateMachine: ServiceStateMachine
    let environment: Storage.Environment

    /// Longest PEM text accepted for a certificate to withdraw.
    static let maxCertificatePEMBytes = 16 * 1024

    struct WithdrawBody: Decodable {
        /// The signing certificate, PEM (`node-N-signing.pem`).
        var certificate: String
        var reason: String
    }

    struct WithdrawalView: ResponseEncodable, Codable {
        var fingerprint: String
        var member: UInt64
        var validUntilUnixMs: Int64
        var reason: String
        var operatorName: String
        var withdrawnAtUnixMs: Int64
        var revision: UInt64?

        init(_ withdrawal: SignerWithdrawal, revision: UInt64? = nil) {
            fingerprint = withdrawal.fingerprint
            member = withdrawal.memberID
            validUntilUnixMs = withdrawal.notValidAfterUnixMs
            reason = withdrawal.reason
            operatorName = withdrawal.operatorName
            withdrawnAtUnixMs = withdrawal.atUnixMs
            self.revision = revision
        }
    }

    struct WithdrawalList: ResponseEncodable {
        var withdrawn: [WithdrawalView]
    }

    func register(on router: Router<ServiceRequestContext>) {
        router.post("/v1/cluster/token-signers/withdraw") { request, context in
            let operatorName = try await context.operatorName()
            let body = try RequestInput.json(WithdrawBody.self, from: try await RequestInput.body(request))
            let now = WallClock.nowUnixMs()
            let withdrawal = try Self.withdrawal(of: body, by: operatorName.text, atUnixMs: now)
            let (result, revision) = try await proposer.propose(.withdrawSigner(withdrawal))
            if case .refused(let reason) = result {
                throw Problem(
                    "withdrawal-refused", status: .conflict, title: "The withdrawal was refused", detail: reason)
            }
            return WithdrawalView(withdrawal, revision: revision)
        }
        router.get("/v1/cluster/token-signers/withdrawn") { _, context in
            _ = try await context.operatorName()
            let now = WallClock.nowUnixMs()
            let withdrawals = try environment.read { txn in try stateMachine.signerWithdrawals(in: txn) }
            return WithdrawalList(
                withdrawn: withdrawals.filter { $0.isCurrent(atUnixMs: now) }.map { WithdrawalView($0) })
        }
    }

    /// The withdrawal a request asks for, checked: a current token-signing certificate naming a member, and
    /// a reason within `DomainLimits.maxRecoveryReasonBytes`.
    static func withdrawal(of body: WithdrawBody, by operatorName: String, atUnixMs now: Int64) throws
        -> SignerWithdrawal
    {
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.utf8.count <= DomainLimits.maxRecoveryReasonBytes else {
            throw Problem(
                "invalid-reason", status: .badRequest,
                title: "A reason of 1–\(DomainLimits.maxRecoveryReasonBytes) bytes is required")
        }
        guard body.certificate.utf8.count <= maxCertificatePEMBytes,
            let document = try? PEMDocument(pemString: body.certificate), document.discriminator == "CERTIFICATE",
            let certificate = try? Certificate(derEncoded: document.derBytes)
        else {
            throw Problem("invalid-certificate", status: .badRequest, title: "certificate must be one PEM certificate")
        }
        guard TokenSigningUsage.marks(certificate), let member = try? ClusterIdentity.nodeID(in: certificate) else {
            throw Problem(
                "not-a-signing-certificate", status: .badRequest,
                title: "Only a member's token-signing certificate can be withdrawn",
                detail: "It carries the token-signing usage and names a member (keycluster certs show FILE).")
        }
        let end = Int64(certificate.notValidAfter.timeIntervalSince1970 * 1000)
        guard now < end else {
            throw Problem(
                "certificate-expired", status: .badRequest,
                title: "The certificate has already expired: no vehicle accepts it")
        }
        return SignerWithdrawal(
            fingerprint: TokenSigningUsage.fingerprint(ofDER: document.derBytes), memberID: member,
            notValidAfterUnixMs: end,
            reason: reason, operatorName: operatorName, atUnixMs: now)
    }

    /// The 503 a member answers instead of signing with a withdrawn certificate.
    static let signerWithdrawn = Problem(
        "signer-withdrawn", status: .serviceUnavailable,
        title: "This member's token-signing certificate was withdrawn: it signs nothing until it is renewed",
        detail: "Ask another member; the operator renews it with keycluster certs signer.", retryAfterSeconds: 10)
}
