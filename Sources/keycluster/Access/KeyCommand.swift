import ArgumentParser
import Foundation
import KeyCluster

/// `keycluster key …`: make a key, and (as a vehicle's owner) grant, revoke, suspend and resume keys.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Create keys; grant, revoke, suspend and resume a vehicle's keys; show its signed key list.",
        subcommands: [New.self, Grant.self, Revoke.self, Suspend.self, Resume.self, List.self]
    )

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a P-256 key: FILE (private, 0600) and FILE.pub.")

        /// `--output` as every command that writes a file names it; `--out` still accepted.
        @Option(
            name: [.customLong("output"), .customLong("out")],
            help: "Where to write the private key (PEM); the public key goes to FILE.pub.")
        var out: String

        @Flag(help: "Print JSON for scripts instead of text.")
        var json = false

        struct Output: Encodable {
            var keyID: String
            var publicKey: String
            var privateKeyFile: String
            var publicKeyFile: String
        }

        func run() throws {
            let holder = try KeyFile.create(at: out)
            if json {
                let output = Output(
                    keyID: holder.keyID.text, publicKey: Data(holder.publicKey.x963).base64EncodedString(),
                    privateKeyFile: out,
                    publicKeyFile: out + ".pub")
                try ClusterOptions.printJSON(output)
            } else {
                print("key \(holder.keyID.text)\n  private key: \(out) (0600)\n  public key:  \(out).pub")
            }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Owner: give a key access to a vehicle (a guest needs --expires).")

        @OptionGroup var cluster: ClusterOptions

        @Argument(help: "The vehicle's VIN.")
        var vin: VIN

        @Option(help: "The owner's private key file, which signs the request.")
        var key: String

        @Option(help: "The key to grant: its public key file (FILE.pub), key file, or base64 X9.63 point.")
        var grantee: String

        @Option(help: "Role: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
        var role: Role

        @Option(
            help:
                "Comma-separated permissions (default: the role's): \(Permission.allCases.map(\.rawValue).joined(separator: ", "))."
        )
        var permissions: String?

        @Option(help: "Access ends this long from now, e.g. 2h or 7d.")
        var expires: RelativeDuration?

        @Option(help: "Form factor of the granted key.")
        var formFactor: FormFactor = .phone

        @Option(help: "A revision an earlier command printed: the member waits until it has applied it.")
        var minRevision: UInt64 = 0

        /// Refused before any call, in the flags' terms (the API would say "notAfter").
        func validate() throws {
            if role.mustExpire && expires == nil {
                throw ValidationError("a \(role.rawValue) grant needs --expires (e.g. --expires 24h)")
            }
        }

        func run() async throws {
            let signer = try KeyFile.holder(at: key)
            let granted = try KeyFile.publicKey(grantee)
            let terms = ClusterClient.GrantTerms(
                role: role, formFactor: formFactor, permissions: try permissions.map(Self.parsePermissions),
                notAfterUnixMs: expires.map { WallClock.nowUnixMs() + $0.milliseconds })
            let change = try await cluster.withCluster { client, _ in
                try await client.grant(granted, terms, on: vin, signedBy: signer, minRevision: minRevision)
            }
            try printChange(change, "granted", cluster)
        }

        static func parsePermissions(_ text: String) throws -> [Permission] {
            try text.split(separator: ",").map { name in
                guard let permission = Permission(rawValue: String(name)) else {
                    throw ValidationError("unknown permission \(name)")
                }
                return permission
            }
        }
    }

    /// The arguments of a change an owner signs on another key's grant.
    struct ChangeOptions: ParsableArguments {
        @OptionGroup var cluster: ClusterOptions

        @Argument(help: "The vehicle's VIN.")
        var vin: VIN

        @Option(help: "The key whose grant changes: its 64-hex key id or a key file.")
        var target: String

        @Option(help: "The owner's private key file, which signs the request.")
        var key: String?

        @Option(help: "A revision an earlier command printed: the member waits until it has applied it.")
        var minRevision: UInt64 = 0

        func run(_ action: ClusterClient.KeyAction) async throws {
            guard let key else { throw ValidationError("--key (the owner's key file) signs the \(action.rawValue)") }
            let signer = try KeyFile.holder(at: key)
            let target = try KeyFile.keyID(target)
            let change = try await cluster.withCluster { client, _ in
                try await client.change(action, target, on: vin, signedBy: signer, minRevision: minRevision)
            }
            let done =
                switch action {
                case .revoke: "revoked"
                case .suspend: "suspended"
                case .resume: "resumed"
                }
            try printChange(change, done, cluster)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Owner: revoke a key (kept in the audit history); --force as an operator, without the owner.")

        @OptionGroup var change: ChangeOptions

        @Flag(help: "Operator force-revoke, with the operator certificate instead of the owner's signature.")
        var force = false

        func run() async throws {
            guard force else { return try await change.run(.revoke) }
            let target = try KeyFile.keyID(change.target)
            let result = try await change.cluster.withCluster(asOperator: true) { client, _ in
                try await client.forceRevoke(target, on: change.vin)
            }
            try printChange(result, "force-revoked", change.cluster)
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Owner: suspend a key until it is resumed.")

        @OptionGroup var change: ChangeOptions

        func run() async throws { try await change.run(.suspend) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Owner: resume a suspended key.")

        @OptionGroup var change: ChangeOptions

        func run() async throws { try await change.run(.resume) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "The vehicle's signed key list (what the car caches), verified against the cluster CA (drivers, owners, operators)."
        )

        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var reader: ReaderOptions

        @Argument(help: "The vehicle's VIN.")
        var vin: VIN

        @Option(help: "A revision an earlier command printed: the member waits until it has applied it.")
        var minRevision: UInt64 = 0

        func run() async throws {
            let holder = try reader.holder()
            let (document, description) = try await cluster.withCluster(asOperator: reader.asOperator) {
                client, description in
                (try await client.keyList(vin, as: holder, minRevision: minRevision), description)
            }
            let list = try TokenCommand.verifier(caPath: description.caCertificate)
                .verifyKeyList(document, vin: vin, nowUnixMs: WallClock.nowUnixMs())
            if cluster.json { return try cluster.printJSON(list) }
            print(
                "key list of \(vin.text) at revision \(list.revision), signed by member \(list.issuingNode) (signature verified):"
            )
            for entry in list.keys {
                print(
                    "  \(TextFormat.keyID(entry.keyID))  \(entry.role.rawValue)  \(TextFormat.permissions(entry.permissions))  "
                        + TextFormat.window(
                            notBeforeUnixMs: entry.notBeforeUnixMs, notAfterUnixMs: entry.notAfterUnixMs))
            }
        }
    }
}

/// Prints a change's outcome: `<what> key … at revision N` and the grant, or the JSON answer.
func printChange(_ change: KeyChange, _ what: String, _ options: ClusterOptions) throws {
    if options.json { return try options.printJSON(change) }
    print("\(what) key \(change.grant.keyID.text) at revision \(change.revision)")
    print("  \(TextFormat.grant(change.grant))")
}
