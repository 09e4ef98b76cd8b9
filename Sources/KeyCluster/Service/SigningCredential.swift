import ClusterIdentity
import Foundation
import Logging
import Prometheus
import Synchronization
import X509

/// This member's token-signing credential (design §9): a certificate with the token-signing usage only,
/// naming this member, and its key — never the TLS pair. It lives days, so it is renewed while the member
/// runs (`keycluster certs signer` rewrites the files) and re-read here when the files change; a pair that
/// does not check out (torn write, wrong usage, another member's, expired) is refused and the current one
/// kept, with a warning.
final class SigningCredential: Sendable {
    let nodeID: UInt64
    private let certificatePath: String
    private let privateKeyPath: String
    private let logger: Logger
    private let state: Mutex<State>
    private let expiresInSeconds: Gauge

    /// How often the files are checked for a renewal.
    static let reloadIntervalSeconds = 10
    /// Below this much validity left, the member warns (at most once per `expiryWarningIntervalSeconds`).
    static let expiryWarningSeconds: Int64 = 24 * 3_600
    static let expiryWarningIntervalSeconds: Int64 = 3_600

    private struct State {
        var signer: NodeDocumentSigner
        var notValidAfter: Date
        var loadedModificationDates: [Date?]
        var lastExpiryWarning: Date?
    }

    /// Why a credential pair was refused.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    /// Loads the pair; throws when it does not check out (the member must not start without one).
    init(
        nodeID: UInt64, certificatePath: String, privateKeyPath: String, registry: PrometheusCollectorRegistry,
        logger: Logger
    ) throws {
        self.nodeID = nodeID
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.logger = logger
        expiresInSeconds = registry.makeGauge(
            descriptor: .keycluster(
                "token_signer", "expires_in", unit: "seconds",
                help: "Seconds until this member's token-signing certificate expires; renew well before 0"))
        let dates = Self.modificationDates([certificatePath, privateKeyPath])
        let (signer, notValidAfter) = try Self.load(
            nodeID: nodeID, certificatePath: certificatePath, privateKeyPath: privateKeyPath)
        state = Mutex(State(signer: signer, notValidAfter: notValidAfter, loadedModificationDates: dates))
        warnIfLoose()
        expiresInSeconds.set(notValidAfter.timeIntervalSinceNow)
    }

    /// The signer to use now.
    var current: NodeDocumentSigner { state.withLock { $0.signer } }

    /// Checks for a renewal every `reloadIntervalSeconds` until cancelled.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(Self.reloadIntervalSeconds))
            reloadIfChanged()
        }
    }

    /// Loads the files again if they changed since the last load; keeps the current pair if the new one is refused.
    func reloadIfChanged(now: Date = Date()) {
        let dates = Self.modificationDates([certificatePath, privateKeyPath])
        if dates != state.withLock({ $0.loadedModificationDates }) {
            do {
                let (signer, notValidAfter) = try Self.load(
                    nodeID: nodeID, certificatePath: certificatePath, privateKeyPath: privateKeyPath, now: now)
                state.withLock {
                    $0 = State(
                        signer: signer, notValidAfter: notValidAfter, loadedModificationDates: dates,
                        lastExpiryWarning: nil)
                }
                logger.notice("token-signing certificate renewed", metadata: ["validUntil": "\(notValidAfter)"])
                warnIfLoose()
            } catch {
                logger.warning(
                    "renewed token-signing files refused; still signing with the current certificate",
                    metadata: ["reason": "\(error)"])
            }
        }
        let (left, warn) = state.withLock { state -> (TimeInterval, Bool) in
            let left = state.notValidAfter.timeIntervalSince(now)
            let due =
                state.lastExpiryWarning.map { now.timeIntervalSince($0) >= Double(Self.expiryWarningIntervalSeconds) }
                ?? true
            let warn = left < Double(Self.expiryWarningSeconds) && due
            if warn { state.lastExpiryWarning = now }
            return (left, warn)
        }
        expiresInSeconds.set(left)
        if warn {
            logger.warning(
                "token-signing certificate expires soon: renew it (keycluster certs signer --id \(nodeID))",
                metadata: ["secondsLeft": "\(Int(left))"])
        }
    }

    /// The signer for the pair at the paths, checked: a token-signing certificate (and no TLS usage) naming
    /// `nodeID`, valid at `now`, whose public key matches the private key.
    static func load(nodeID: UInt64, certificatePath: String, privateKeyPath: String, now: Date = Date()) throws -> (
        NodeDocumentSigner, Date
    ) {
        let certificate: Certificate
        let privateKey: Certificate.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: String(contentsOfFile: certificatePath, encoding: .utf8))
            privateKey = try Certificate.PrivateKey(pemEncoded: String(contentsOfFile: privateKeyPath, encoding: .utf8))
        } catch {
            throw Refusal(description: "cannot read the token-signing pair \(certificatePath), \(privateKeyPath)")
        }
        guard TokenSigningUsage.marks(certificate) else {
            throw Refusal(
                description:
                    "\(certificatePath) is not a token-signing certificate (issue one with keycluster certs signer --id \(nodeID))"
            )
        }
        guard (try? ClusterIdentity.nodeID(in: certificate)) == nodeID else {
            throw Refusal(description: "\(certificatePath) does not name member \(nodeID)")
        }
        guard certificate.notValidBefore <= now, now < certificate.notValidAfter else {
            throw Refusal(
                description:
                    "\(certificatePath) is not valid now (valid \(certificate.notValidBefore) to \(certificate.notValidAfter))"
            )
        }
        do {
            return (
                try NodeDocumentSigner(nodeID: nodeID, certificate: certificate, privateKey: privateKey),
                certificate.notValidAfter
            )
        } catch {
            throw Refusal(description: "\(privateKeyPath) is not the key of \(certificatePath)")
        }
    }

    /// The signing key mints what vehicles trust: say so when group or others may read its file.
    private func warnIfLoose() {
        if let mode = PrivateKeyFile.looseMode(at: privateKeyPath) {
            logger.warning(
                "token-signing key file is readable by others; it should be mode 0600",
                metadata: ["file": "\(privateKeyPath)", "mode": "\(String(mode, radix: 8))"])
        }
    }

    private static func modificationDates(_ paths: [String]) -> [Date?] {
        paths.map { (try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate]) as? Date }
    }
}
