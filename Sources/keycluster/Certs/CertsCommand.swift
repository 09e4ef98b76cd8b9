import ArgumentParser
import Foundation
import KeyCluster
import Raft
import X509

/// `keycluster certs …`: the cluster's certificate tooling for a real deployment — a CA, one certificate per
/// member (its id and region inside, plus the hosts clients dial), operator client certificates, and a look
/// inside any of them. Files are named as `CertificateDirectory` names them; private keys are written 0600.
struct CertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create the cluster CA and issue member, token-signing and operator certificates.",
        subcommands: [CA.self, Node.self, Signer.self, Operator.self, Show.self]
    )

    struct Location: ParsableArguments {
        @Option(help: "Directory holding the CA (ca.pem, ca-key.pem) and the issued certificates.")
        var dir: String

        @Option(help: "Days the certificate stays valid.")
        var validityDays: Int?

        func validate() throws {
            if let validityDays, validityDays < 1 { throw ValidationError("--validity-days must be at least 1") }
        }

        var directory: CertificateDirectory { CertificateDirectory(path: dir) }
    }

    struct CA: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new cluster CA (refuses to replace one).")

        @OptionGroup var location: Location

        @Option(help: "The CA certificate's common name.")
        var commonName = "KeyCluster cluster CA"

        func run() throws {
            try location.directory.createCA(commonName: commonName, validityDays: location.validityDays ?? 3_650)
            print("created \(location.directory.caCertificatePath) and \(location.directory.caPrivateKeyPath) (0600)")
            print("keep ca-key.pem offline once members and operators have their certificates")
        }
    }

    struct Node: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a member's certificate (id, region and hosts inside).")

        @OptionGroup var location: Location

        @Option(help: "The member's id (as in its configuration).")
        var id: UInt64

        @Option(help: "The member's region.")
        var region: String

        @Option(help: "A DNS name or IP address clients and peers use to reach the member (repeat; default localhost and 127.0.0.1).")
        var host: [String] = []

        func run() throws {
            let files = try location.directory.issueNode(
                id: id, region: region, hosts: host.isEmpty ? CertificateIssuer.loopbackHosts : host,
                validityDays: location.validityDays ?? 365)
            print("issued \(files.certificate) and \(files.privateKey) (0600)")
        }
    }

    struct Signer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue or renew a member's token-signing certificate (7 days by default); a running member picks it up within 10 s.")

        @OptionGroup var location: Location

        @Option(help: "The member's id (as in its configuration).")
        var id: UInt64

        func run() throws {
            let seconds = location.validityDays.map { Int64($0) * 24 * 3_600 } ?? TokenSigningUsage.defaultValiditySeconds
            let files = try location.directory.issueTokenSigner(id: id, validitySeconds: seconds)
            print("issued \(files.certificate) and \(files.privateKey) (0600), valid \(seconds / 86_400) days")
        }
    }

    struct Operator: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue an operator's client certificate.")

        @OptionGroup var location: Location

        @Option(help: "The operator's name (letters, digits, '-', '_', '.'); it appears in the audit history.")
        var name: String

        func run() throws {
            let files = try location.directory.issueOperator(name: name, validityDays: location.validityDays ?? 365)
            print("issued \(files.certificate) and \(files.privateKey) (0600)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print who a certificate names and how long it is valid.")

        @Argument(help: "A PEM certificate file.")
        var file: String

        func run() throws {
            let certificate = try Certificate(pemEncoded: String(contentsOfFile: file, encoding: .utf8))
            print("subject:  \(certificate.subject)")
            print("issuer:   \(certificate.issuer)")
            print("valid:    \(certificate.notValidBefore) … \(certificate.notValidAfter)")
            let remainingDays = Int(certificate.notValidAfter.timeIntervalSinceNow / 86_400)
            print("expires:  " + (remainingDays >= 0 ? "in \(remainingDays) days" : "EXPIRED \(-remainingDays) days ago"))
            if let names = try certificate.extensions.subjectAlternativeNames {
                for name in names { print("name:     \(Self.describe(name))") }
            }
        }

        private static func describe(_ name: GeneralName) -> String {
            switch name {
            case .uniformResourceIdentifier(let uri): return "URI \(uri)"
            case .dnsName(let host): return "DNS \(host)"
            case .ipAddress(let octets):
                let bytes = Array(octets.bytes)
                guard bytes.count == 4 || bytes.count == 16 else { return "IP (\(bytes.count) bytes)" }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                _ = bytes.withUnsafeBytes { inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
                return "IP " + String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            default: return "\(name)"
            }
        }
    }
}
