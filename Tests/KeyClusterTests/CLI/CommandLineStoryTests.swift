import ClusterIdentity
import Foundation
import KeyCluster
import KeyClusterTooling
import TestSupport
import Testing
import X509

/// The `keycluster` CLI driven as a user would, against a real 3-member cluster: every step is a separate
/// process of the built binary reading the cluster description and key files.
@Suite("keycluster CLI on a real cluster", .serialized)
struct CommandLineStoryTests {
    static let vin = "WVWZZZ1JZXW000042"

    func keycluster(_ arguments: [String], in directory: TemporaryDirectory) throws -> CLIRun {
        try CLIRun(arguments, in: directory)
    }

    /// Runs a command that must succeed and print JSON; decodes it as `T`.
    func json<T: Decodable>(_ arguments: [String], as: T.Type, in directory: TemporaryDirectory) throws -> T {
        try CLIRun.json(arguments, as: T.self, in: directory)
    }

    struct NewKey: Decodable { var keyID: String }
    struct Transferred: Decodable { var leader: UInt64 }
    struct BoundedUnlock: Decodable { var token: UnlockToken }

    @Test("register, grant a guest, unlock, verify the token offline, revoke, unlock refused, audit shows the history")
    func fullStory() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            try await TemporaryDirectory.with("cli") { work in
                try cluster.layout.writeClientDescription(for: cluster.configurations)
                let access = ["--cluster", cluster.layout.clientDescriptionPath]
                let vin = Self.vin
                let owner = try json(["key", "new", "--out", "owner.pem"], as: NewKey.self, in: work)
                let guest = try json(["key", "new", "--out", "guest.pem"], as: NewKey.self, in: work)
                let mode =
                    try FileManager.default.attributesOfItem(atPath: work.appending("owner.pem"))[.posixPermissions]
                    as? Int
                #expect(mode == 0o600, "the private key file must be 0600")
                _ = try await cluster.waitForLeader()

                let enrolled = try json(
                    ["vehicle", "register", vin, "--owner", "owner.pem.pub"] + access, as: KeyChange.self, in: work)
                #expect(enrolled.grant.keyID.text == owner.keyID && enrolled.grant.role == .owner)
                let granted = try json(
                    [
                        "key", "grant", vin, "--key", "owner.pem", "--grantee", "guest.pem.pub", "--role", "guest",
                        "--expires", "1h",
                        "--min-revision", "\(enrolled.revision)",
                    ] + access, as: KeyChange.self, in: work)
                #expect(granted.grant.keyID.text == guest.keyID && granted.grant.notAfterUnixMs != nil)

                let unlocked = try keycluster(
                    [
                        "unlock", vin, "--key", "guest.pem", "--min-revision", "\(granted.revision)", "--token-out",
                        "token.json",
                    ] + access, in: work)
                #expect(unlocked.status == 0, "\(unlocked.errors)")
                #expect(
                    unlocked.output.contains(
                        "unlock allowed for key \(guest.keyID.prefix(TextFormat.shortKeyIDLength))"),
                    "\(unlocked.output)")
                // Accepting bounded staleness: a member with fresh state decides without the round through the leader.
                let bounded = try json(
                    [
                        "unlock", vin, "--key", "guest.pem", "--command", "lock", "--bounded", "--min-revision",
                        "\(granted.revision)",
                    ] + access,
                    as: BoundedUnlock.self, in: work)
                #expect(bounded.token.consistency == .bounded && bounded.token.command == .lock)
                let caPath = cluster.layout.caCertificatePath
                let verified = try keycluster(
                    ["token", "verify", "token.json", "--vin", vin, "--ca", caPath], in: work)
                #expect(
                    verified.status == 0 && verified.output.hasPrefix("valid: unlock allowed"), "\(verified.errors)")
                let wrongCommand = try keycluster(
                    ["token", "verify", "token.json", "--vin", vin, "--command", "drive", "--ca", caPath], in: work)
                #expect(
                    wrongCommand.status != 0 && wrongCommand.errors.contains("token is for another command"),
                    "\(wrongCommand.errors)")
                // During a CA rotation the CA file holds the old and the new CA, in either order.
                let clusterCA = try String(contentsOfFile: caPath, encoding: .utf8)
                let otherCA = try CertificateIssuer.makeCA().ca.certificate.serializeAsPEM().pemString + "\n"
                for (name, bundle) in [("new-first.pem", otherCA + clusterCA), ("old-first.pem", clusterCA + otherCA)] {
                    try bundle.write(toFile: work.appending(name), atomically: true, encoding: .utf8)
                    let fromBundle = try keycluster(
                        ["token", "verify", "token.json", "--vin", vin, "--ca", name], in: work)
                    #expect(
                        fromBundle.status == 0 && fromBundle.output.hasPrefix("valid: unlock allowed"),
                        "\(name): \(fromBundle.errors)")
                }
                try otherCA.write(toFile: work.appending("other.pem"), atomically: true, encoding: .utf8)
                let otherOnly = try keycluster(
                    ["token", "verify", "token.json", "--vin", vin, "--ca", "other.pem"], in: work)
                #expect(
                    otherOnly.status != 0
                        && otherOnly.errors.contains("not a node certificate issued by the cluster CA"),
                    "\(otherOnly.errors)")
                // The vehicle's used-request ledger: the same token's request is used once.
                let first = try keycluster(
                    ["token", "verify", "token.json", "--vin", vin, "--ca", caPath, "--used-requests", "ledger.json"],
                    in: work)
                #expect(first.status == 0, "\(first.errors)")
                let again = try keycluster(
                    ["token", "verify", "token.json", "--vin", vin, "--ca", caPath, "--used-requests", "ledger.json"],
                    in: work)
                #expect(again.status != 0 && again.errors.contains("already used"), "\(again.errors)")

                let revoked = try json(
                    [
                        "key", "revoke", vin, "--key", "owner.pem", "--target", "guest.pem.pub", "--min-revision",
                        "\(granted.revision)",
                    ] + access,
                    as: KeyChange.self, in: work)
                #expect(revoked.grant.status == .revoked)
                let refused = try keycluster(
                    ["unlock", vin, "--key", "guest.pem", "--min-revision", "\(revoked.revision)"] + access, in: work)
                // Exit status 2: the cluster answered and refused (README "Exit statuses"); the answer is named.
                #expect(refused.status == 2 && refused.errors.contains("answered 403"), "\(refused.errors)")

                let history = try json(
                    ["audit", vin, "--min-revision", "\(revoked.revision)"] + access, as: AuditPage.self, in: work)
                #expect(history.records.map(\.action) == [.registerVehicle, .grant, .revoke])
                #expect(history.records.map(\.revision) == [enrolled.revision, granted.revision, revoked.revision])
                let text = try keycluster(["audit", vin, "--min-revision", "\(revoked.revision)"] + access, in: work)
                #expect(
                    text.output.split(separator: "\n").count == 3 && text.output.contains("revoke")
                        && text.output.contains("operator admin"))
                let vehicle = try json(
                    ["vehicle", "show", vin, "--min-revision", "\(revoked.revision)"] + access, as: VehicleView.self,
                    in: work)
                #expect(vehicle.grants.map(\.keyID.text) == [owner.keyID])
            }
        }
    }

    @Test(
        "an operator hands leadership over; bad arguments and missing credentials fail with a message and a non-zero exit"
    )
    func transferAndErrors() async throws {
        try await withProcessCluster(regions: ["eu-west", "us-east", "ap-south"]) { cluster in
            try await TemporaryDirectory.with("cli") { work in
                try cluster.layout.writeClientDescription(for: cluster.configurations)
                let access = ["--cluster", cluster.layout.clientDescriptionPath]
                let leader = try await cluster.waitForLeader()
                let next = cluster.ids.first { $0 != leader } ?? leader
                let moved = try json(
                    ["cluster", "transfer-leader", "--to", "\(next)"] + access, as: Transferred.self, in: work)
                #expect(moved.leader == next)

                let badVIN = try keycluster(["vehicle", "show", "NOT-A-VIN"] + access, in: work)
                #expect(badVIN.status != 0 && badVIN.errors.contains("vin"), "\(badVIN.errors)")
                let noKey = try keycluster(["unlock", Self.vin, "--key", "missing.pem"] + access, in: work)
                #expect(noKey.status != 0 && noKey.errors.contains("missing.pem"), "\(noKey.errors)")
                _ = try keycluster(["key", "new", "--out", "owner.pem"], in: work)
                let again = try keycluster(["key", "new", "--out", "owner.pem"], in: work)
                #expect(again.status != 0 && again.errors.contains("refusing to overwrite"), "\(again.errors)")
                chmod(work.appending("owner.pem"), 0o644)
                let exposed = try keycluster(["unlock", Self.vin, "--key", "owner.pem"] + access, in: work)
                #expect(exposed.status != 0 && exposed.errors.contains("chmod 600"), "\(exposed.errors)")
                let unknown = try keycluster(["vehicle", "show", Self.vin, "--region", "us-east"] + access, in: work)
                #expect(unknown.status != 0 && unknown.errors.contains("404 vehicle-not-found"), "\(unknown.errors)")

                // A runtime failure is told as a failure (exit 3: unreachable; no usage text), not as a usage error (64).
                var gone = try ClientDescription.load(from: cluster.layout.clientDescriptionPath)
                gone.members = [.init(id: 1, region: "eu-west", clientAddress: "127.0.0.1:1")]
                try JSONEncoder().encode(gone).write(to: URL(fileURLWithPath: work.appending("gone.json")))
                let noBackup = try keycluster(["backup", "--output", "b.snap", "--config", "gone.json"], in: work)
                #expect(
                    noBackup.status == 3 && noBackup.errors.contains("no backup taken")
                        && !noBackup.errors.contains("Usage"), "\(noBackup.errors)")
                // A backup never overwrites a file, and says so before it downloads anything.
                _ = FileManager.default.createFile(atPath: work.appending("kept.snap"), contents: Data("keep".utf8))
                let over = try keycluster(["backup", "--output", "kept.snap"] + access, in: work)
                #expect(
                    over.status == 1 && over.errors.contains("kept.snap already exists")
                        && !over.errors.contains("Cocoa"), "\(over.errors)")
                #expect(FileManager.default.contents(atPath: work.appending("kept.snap")) == Data("keep".utf8))
                // `members add` exactly as Deploy/README §2 writes it parses (its --region is the new member's);
                // against an unreachable description it fails at runtime, not as a usage error.
                let add = try keycluster(
                    [
                        "cluster", "members", "add", "--id", "4", "--region", "sa-east", "--peer-address",
                        "127.0.0.1:1",
                        "--client-address", "127.0.0.1:2", "--config", "gone.json",
                    ], in: work)
                #expect(
                    add.status == 3 && add.errors.contains("no leader: 0 of 1 members reachable")
                        && !add.errors.contains("--region") && !add.errors.contains("Usage"), "\(add.errors)")
                // `token verify` takes --config as every cluster command does.
                let verify = try keycluster(
                    ["token", "verify", "missing.json", "--vin", Self.vin, "--config", "gone.json"], in: work)
                #expect(
                    verify.status != 0 && verify.errors.contains("missing.json")
                        && !verify.errors.contains("Unknown option"), "\(verify.errors)")
            }
        }
    }
}
