import ArgumentParser
import Foundation
import KeyCluster
import X509

/// `keycluster token verify FILE`: what a vehicle does with a token, offline — only the CA certificate,
/// the VIN and the command it was asked for (UnlockTokenVerifier, no network).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Check unlock tokens offline, as a vehicle does.",
        subcommands: [Verify.self]
    )

    /// Largest token file read: a token is a few kilobytes (payload and node certificate).
    static let maxTokenFileBytes = 64 << 10

    /// Pretty, key-sorted JSON: token files and every `--json` output.
    static var encoder: JSONEncoder { APIEncoding.encoder(pretty: true) }

    /// The verifier for the CA file at `caPath`: a bundle of one or more CAs (both during a rotation).
    static func verifier(caPath: String) throws -> UnlockTokenVerifier {
        do {
            return try UnlockTokenVerifier(caBundleFile: caPath)
        } catch {
            throw ValidationError("\(error) (expected one or more PEM CERTIFICATE blocks)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Verify a token file (`unlock --output`, or `unlock --json` output) against the cluster CA, offline.")

        @Argument(help: "The token file, or - for standard input.")
        var file: String

        @Option(help: "The VIN the vehicle expects.")
        var vin: VIN

        @Option(help: "The command the vehicle was asked for.")
        var command: Permission = .unlock

        @Option(help: "The cluster CA certificate (PEM). Default: the one the --cluster description names.")
        var ca: String?

        @Option(
            name: [.customLong("cluster"), .customLong("config")],
            help: "Cluster description, read only for its CA path when --ca is not given.")
        var descriptionPath = EnvironmentDefaults.clusterDescription

        @Option(help: "Verify as of this Unix time in milliseconds (default: now).")
        var atUnixMs: Int64?

        @Flag(help: "Print the verified claims as JSON.")
        var json = false

        @Option(
            help: ArgumentHelp(
                "The vehicle's used-request ledger (JSON; created if absent): a second token for a request already used is refused.",
                discussion:
                    "Each member answers a signed request on its own, so a captured request can yield one token per member; the vehicle acts on one."
            ))
        var usedRequests: String?

        @Option(
            help: ArgumentHelp(
                "The vehicle's current key list (a signed document, `key list --json`'s `document` or the raw document): tokens signed with a certificate it names as withdrawn are refused.",
                discussion: "The list itself is verified first (signature, VIN, validity)."))
        var keyList: String?

        /// The verified key list at `path`.
        func loadKeyList(_ path: String, verifier: UnlockTokenVerifier, nowUnixMs: Int64) throws -> VehicleKeyList {
            guard let data = FileManager.default.contents(atPath: path),
                data.count <= TokenCommand.maxTokenFileBytes * 64
            else {
                throw ValidationError("cannot read the key list \(path)")
            }
            let decoder = JSONDecoder()
            guard
                let document = (try? decoder.decode(SignedDocument.self, from: data))
                    ?? (try? decoder.decode(Wrapped.self, from: data))?.document
            else { throw ValidationError("\(path) holds no signed key list") }
            do {
                return try verifier.verifyKeyList(document, vin: vin, nowUnixMs: nowUnixMs)
            } catch {
                throw ValidationError("the key list \(path) is not valid: \(error)")
            }
        }

        /// Records the token's request in the ledger file, refusing it if already used.
        func use(_ token: UnlockToken, ledgerPath: String) throws {
            var ledger = UsedRequestLedger()
            if let data = FileManager.default.contents(atPath: ledgerPath) {
                guard let stored = try? JSONDecoder().decode(UsedRequestLedger.self, from: data) else {
                    throw ValidationError("\(ledgerPath) is not a used-request ledger; remove it to start a new one")
                }
                ledger = stored
            }
            do {
                try ledger.use(token, nowUnixMs: atUnixMs ?? WallClock.nowUnixMs())
            } catch {
                throw TokenCommand.rejected(error)
            }
            do {
                try JSONEncoder().encode(ledger).write(to: URL(fileURLWithPath: ledgerPath), options: .atomic)
            } catch {
                throw ValidationError(
                    "cannot write the used-request ledger \(ledgerPath): \(error.localizedDescription)")
            }
        }

        /// Token files hold either the signed document or `unlock --json`'s `{token, document}`.
        struct Wrapped: Decodable { var document: SignedDocument }

        func run() throws {
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readData(ofLength: TokenCommand.maxTokenFileBytes + 1)
            } else {
                guard let read = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read \(file)")
                }
                data = read
            }
            guard data.count <= TokenCommand.maxTokenFileBytes else {
                throw ValidationError("\(file) is larger than any token")
            }
            let decoder = JSONDecoder()
            guard
                let document = (try? decoder.decode(SignedDocument.self, from: data))
                    ?? (try? decoder.decode(Wrapped.self, from: data))?.document
            else { throw ValidationError("\(file) holds no signed document") }
            let caPath = try ca ?? ClientDescription.load(from: descriptionPath).caCertificate
            let verifier = try TokenCommand.verifier(caPath: caPath)
            let now = atUnixMs ?? WallClock.nowUnixMs()
            let list = try keyList.map { try loadKeyList($0, verifier: verifier, nowUnixMs: now) }
            let token: UnlockToken
            do {
                token = try verifier.verifyUnlockToken(
                    document, vin: vin, command: command, nowUnixMs: now, keyList: list)
            } catch {
                throw TokenCommand.rejected(error)
            }
            if let usedRequests { try use(token, ledgerPath: usedRequests) }
            if json {
                try ClusterOptions.printJSON(token)
            } else {
                print("valid: \(TextFormat.token(token))")
            }
        }
    }

    /// A token (or key list) the verification refused: exit status 5, so a script tells "not valid" from
    /// "could not check".
    static func rejected(_ reason: TokenVerificationError) -> CLIError {
        CLIError("invalid token: \(reason)", exitStatus: .invalidToken)
    }
}
