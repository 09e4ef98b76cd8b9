import ArgumentParser
import KeyCluster

/// `keycluster vehicle …`: enrol a vehicle (operator) and show one.
struct VehicleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vehicle",
        abstract:
            "Enrol a vehicle with its first owner key (operator), recover its ownership (operator), or show it and its keys.",
        subcommands: [Register.self, RecoverOwner.self, Show.self]
    )

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Operator: enrol a vehicle with its owner's key (operator certificate).")

        @OptionGroup var cluster: ClusterOptions

        @Argument(help: "The vehicle's VIN (17 characters, no I, O or Q).")
        var vin: VIN

        @Option(help: "The owner's public key file (FILE.pub), key file, or base64 X9.63 point.")
        var owner: String

        @Option(help: "Form factor of the owner's key.")
        var formFactor: FormFactor = .phone

        func run() async throws {
            let ownerKey = try KeyFile.publicKey(owner)
            let change = try await cluster.withCluster(asOperator: true) { client, _ in
                try await client.registerVehicle(vin, owner: ownerKey, formFactor: formFactor)
            }
            if cluster.json { return try cluster.printJSON(change) }
            print("registered \(vin.text) at revision \(change.revision) with owner key \(change.grant.keyID.text)")
        }
    }

    struct RecoverOwner: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Operator: give a vehicle with no usable owner a new unrestricted owner key; the reason is audited.")

        @OptionGroup var cluster: ClusterOptions

        @Argument(help: "The vehicle's VIN.")
        var vin: VIN

        @Option(help: "The new owner's public key file (FILE.pub), key file, or base64 X9.63 point.")
        var owner: String

        @Option(help: "Form factor of the new owner's key.")
        var formFactor: FormFactor = .phone

        @Option(help: "Why (kept in the vehicle's audit with your operator name), e.g. a ticket number.")
        var reason: String

        func validate() throws {
            if let refusal = DomainCommand.RecoverOwnership.refusal(ofReason: reason) { throw ValidationError(refusal) }
        }

        func run() async throws {
            let ownerKey = try KeyFile.publicKey(owner)
            let change = try await cluster.withCluster(asOperator: true) { client, _ in
                try await client.recoverOwnership(vin, owner: ownerKey, formFactor: formFactor, reason: reason)
            }
            if cluster.json { return try cluster.printJSON(change) }
            print(
                "recovered \(vin.text) at revision \(change.revision): key \(change.grant.keyID.text) is an unrestricted owner"
            )
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A vehicle and its live grants (a key holder other than an owner sees its own).")

        @OptionGroup var cluster: ClusterOptions
        @OptionGroup var reader: ReaderOptions

        @Argument(help: "The vehicle's VIN.")
        var vin: VIN

        @Option(help: "A revision an earlier command printed: the member waits until it has applied it.")
        var minRevision: UInt64 = 0

        func run() async throws {
            let holder = try reader.holder()
            let view = try await cluster.withCluster(asOperator: reader.asOperator) { client, _ in
                try await client.vehicle(vin, as: holder, minRevision: minRevision)
            }
            if cluster.json { return try cluster.printJSON(view) }
            let vehicle = view.vehicle
            print(
                "vehicle \(vehicle.vin.text): registered by operator \(vehicle.registeredBy.text) at "
                    + "\(TextFormat.time(unixMs: vehicle.registeredAtUnixMs)), revision \(vehicle.revision) (member at \(view.appliedIndex))"
            )
            for grant in view.grants { print("  \(TextFormat.grant(grant))") }
        }
    }
}
