import ArgumentParser
import ClusterIdentity
import Foundation
import KeyCluster
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

        @Flag(help: "Replace a certificate and key already issued under this name (member and operator certificates).")
        var force = false

        @Flag(help: "Print JSON for scripts instead of text.")
        var json = false

        func validate() throws {
            if let validityDays, validityDays < 1 { throw ValidationError("--validity-days must be at least 1") }
        }

        var directory: CertificateDirectory { CertificateDirectory(path: dir) }

        /// Refuses to replace `files` without `--force`, as `key new` and `certs ca` refuse: the files may be a
        /// running member's, and a new key under the same name would lock it out of its peers at the next restart.
        func refuseOverwrite(_ files: CertificateDirectory.CredentialFiles, what: String, whoUsesIt: String) throws {
            guard !force else { return }
            for path in [files.certificate, files.privateKey] where FileManager.default.fileExists(atPath: path) {
                throw CLIError(
                    "\(path) already exists", cause: "\(what) was issued before",
                    hint: "pass --force to issue a new certificate and key in its place (then \(whoUsesIt))")
            }
        }

        /// What an issuing command prints: the files, as text or JSON.
        func report(_ files: CertificateDirectory.CredentialFiles, validDays: Int64) throws {
            try report(certificate: files.certificate, privateKey: files.privateKey, validDays: validDays)
        }

        func report(certificate: String, privateKey: String, validDays: Int64) throws {
            struct Issued: Encodable {
                var certificate: String
                var privateKey: String
                var validDays: Int64
            }
            if json {
                return try ClusterOptions.printJSON(
                    Issued(certificate: certificate, privateKey: privateKey, validDays: validDays))
            }
            print("issued \(certificate) and \(privateKey) (0600), valid \(validDays) days")
        }
    }

    struct CA: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new cluster CA (refuses to replace one).")

        @OptionGroup var location: Location

        @Option(help: "The CA certificate's common name.")
        var commonName = "KeyCluster cluster CA"

        func run() throws {
            let days = location.validityDays ?? 3_650
            try location.directory.createCA(commonName: commonName, validityDays: days)
            if location.json {
                return try location.report(
                    certificate: location.directory.caCertificatePath, privateKey: location.directory.caPrivateKeyPath,
                    validDays: Int64(days))
            }
            print("created \(location.directory.caCertificatePath) and \(location.directory.caPrivateKeyPath) (0600)")
            print("keep ca-key.pem offline once members and operators have their certificates")
        }
    }

    struct Node: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a member's certificate (id, region and hosts inside).")

        @OptionGroup var location: Location

        @Option(help: "The member's id (as in its configuration).")
        var id: UInt64

        @Option(help: "The member's region.")
        var region: String

        @Option(
            help:
                "A DNS name or IP address clients and peers use to reach the member (repeat; default localhost and 127.0.0.1)."
        )
        var host: [String] = []

        func run() throws {
            try location.refuseOverwrite(
                location.directory.nodeFiles(of: id), what: "member \(id)'s certificate",
                whoUsesIt: "restart the member with the new files")
            let days = location.validityDays ?? 365
            let files = try location.directory.issueNode(
                id: id, region: region, hosts: host.isEmpty ? CertificateIssuer.loopbackHosts : host, validityDays: days
            )
            try location.report(files, validDays: Int64(days))
        }
    }

    struct Signer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Issue or renew a member's token-signing certificate (7 days by default); a running member picks it up within 10 s."
        )

        @OptionGroup var location: Location

        @Option(help: "The member's id (as in its configuration).")
        var id: UInt64

        func run() throws {
            let seconds =
                location.validityDays.map { Int64($0) * 24 * 3_600 } ?? TokenSigningUsage.defaultValiditySeconds
            // Renewal is this command's purpose: it replaces the files without --force (the member re-reads them).
            let files = try location.directory.issueTokenSigner(id: id, validitySeconds: seconds)
            try location.report(files, validDays: seconds / 86_400)
        }
    }

    struct Operator: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue an operator's client certificate.")

        @OptionGroup var location: Location

        @Option(help: "The operator's name (letters, digits, '-', '_', '.'); it appears in the audit history.")
        var name: String

        func run() throws {
            try location.refuseOverwrite(
                location.directory.operatorFiles(named: name), what: "operator \(name)'s certificate",
                whoUsesIt: "hand the new files to the operator")
            let days = location.validityDays ?? 365
            let files = try location.directory.issueOperator(name: name, validityDays: days)
            try location.report(files, validDays: Int64(days))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print who a certificate names and how long it is valid.")

        @Argument(help: "A PEM certificate file.")
        var file: String

        @Flag(help: "Print JSON for scripts instead of text.")
        var json = false

        struct Shown: Encodable {
            var subject: String
            var issuer: String
            var notBeforeUnixMs: Int64
            var notAfterUnixMs: Int64
            var expiresInDays: Int
            var names: [String]
        }

        func run() throws {
            let pem: String
            do {
                pem = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw CLIError(
                    "cannot read \(file)",
                    cause: FileManager.default.fileExists(atPath: file)
                        ? "permission denied or not text" : "no such file")
            }
            let certificate: Certificate
            do {
                certificate = try Certificate(pemEncoded: pem)
            } catch {
                throw CLIError(
                    "\(file) is not a PEM certificate",
                    hint: "give a file with a -----BEGIN CERTIFICATE----- block (keycluster certs writes them)")
            }
            let remainingDays = Int(certificate.notValidAfter.timeIntervalSinceNow / 86_400)
            let names = try certificate.extensions.subjectAlternativeNames.map { $0.map(Self.describe) } ?? []
            if json {
                return try ClusterOptions.printJSON(
                    Shown(
                        subject: "\(certificate.subject)", issuer: "\(certificate.issuer)",
                        notBeforeUnixMs: Int64(certificate.notValidBefore.timeIntervalSince1970 * 1_000),
                        notAfterUnixMs: Int64(certificate.notValidAfter.timeIntervalSince1970 * 1_000),
                        expiresInDays: remainingDays, names: names))
            }
            print("subject:  \(certificate.subject)")
            print("issuer:   \(certificate.issuer)")
            print("valid:    \(certificate.notValidBefore) … \(certificate.notValidAfter)")
            print(
                "expires:  " + (remainingDays >= 0 ? "in \(remainingDays) days" : "EXPIRED \(-remainingDays) days ago"))
            for name in names { print("name:     \(name)") }
        }

        private static func describe(_ name: GeneralName) -> String {
            switch name {
            case .uniformResourceIdentifier(let uri): return "URI \(uri)"
            case .dnsName(let host): return "DNS \(host)"
            case .ipAddress(let octets):
                let bytes = Array(octets.bytes)
                guard bytes.count == 4 || bytes.count == 16 else { return "IP (\(bytes.count) bytes)" }
                var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                _ = bytes.withUnsafeBytes {
                    inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, $0.baseAddress, &text, socklen_t(text.count))
                }
                return "IP " + String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            default: return "\(name)"
            }
        }
    }
}
