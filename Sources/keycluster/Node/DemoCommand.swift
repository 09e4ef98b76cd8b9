import ArgumentParser
import AsyncHTTPClient
import Foundation
import KeyCluster
import KeyClusterTooling
import X509

/// `keycluster demo`: the README's main job. Brings up a three-region cluster of real processes on this
/// machine, enrolls a demo vehicle and its owner's phone key, unlocks, lets the owner share a guest key,
/// kills the leader's region, unlocks again, revokes the guest key and shows it refused everywhere, brings
/// the region back, and tears everything down. Every token is verified as the car would, offline.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a local three-region cluster, lose the leader's region, and keep unlocking."
    )

    @Option(help: "Milliseconds per Raft tick.")
    var tickMilliseconds = 100

    @Flag(help: "Print the story's steps as one JSON document at the end instead of as they happen.")
    var json = false

    /// One step of the story, with its time since the start.
    struct Step: Encodable {
        var milliseconds: Double
        var text: String
    }

    static let demoVIN = "5YJ3E1EA7KF317001"
    /// Guest access in the demo lasts this long.
    static let guestAccessSeconds: Int64 = 3_600

    func run() async throws {
        let started = ContinuousClock.now
        var steps: [Step] = []
        func say(_ text: String) {
            let step = Step(milliseconds: (ContinuousClock.now - started).seconds * 1_000, text: text)
            if json { steps.append(step) } else { print("[\(String(format: "%6.0f", step.milliseconds)) ms] \(text)") }
        }
        let timing = NodeConfiguration.Timing(tickMilliseconds: tickMilliseconds, heartbeatTicks: 1, electionTicks: 10)
        try await withLocalCluster(regions: localRegions(members: 3), timing: timing) { cluster in
            for id in cluster.ids {
                say("member \(id) in region \(cluster.region(of: id)): https://\(cluster.client(id).address)")
            }
            let operatorCredential = try cluster.layout.issueOperator(name: "demo-operator")
            let caPath = cluster.layout.caCertificatePath
            let operatorHTTP = try MemberClient.makeHTTPClient(
                caCertificatePath: caPath, clientCertificate: operatorCredential)
            let phoneHTTP = try MemberClient.makeHTTPClient(caCertificatePath: caPath)
            do {
                try await story(cluster, operatorHTTP: operatorHTTP, phoneHTTP: phoneHTTP, say: say)
            } catch {
                try? await operatorHTTP.shutdown()
                try? await phoneHTTP.shutdown()
                throw error
            }
            try await operatorHTTP.shutdown()
            try await phoneHTTP.shutdown()
        }
        say("demo done; the cluster is stopped and its files removed")
        if json { try ClusterOptions.printJSON(["steps": steps]) }
    }

    private func story(
        _ cluster: LocalClusterProcesses, operatorHTTP: HTTPClient, phoneHTTP: HTTPClient, say: (String) -> Void
    ) async throws {
        let addresses = cluster.ids.map { (address: cluster.client($0).address, region: cluster.region(of: $0)) }
        let operatorClient = ClusterClient(addresses: addresses, preferredRegion: "eu-west", http: operatorHTTP)
        let phone = ClusterClient(addresses: addresses, preferredRegion: "eu-west", http: phoneHTTP)
        let verifier = try UnlockTokenVerifier(caBundleFile: cluster.layout.caCertificatePath)
        let vin = try VIN(validating: Self.demoVIN)

        let leader = try await cluster.waitForLeader()
        say("leader elected: member \(leader) (\(cluster.region(of: leader)))")
        let owner = KeyHolder()
        let enrolled = try await operatorClient.registerVehicle(vin, owner: owner.publicKey).revision
        say(
            "operator enrolled vehicle \(vin.text) with the owner's phone key \(owner.keyID.text.prefix(12))… at revision \(enrolled)"
        )

        func unlock(_ holder: KeyHolder, _ who: String, minRevision: UInt64) async throws -> UInt64 {
            let document = try await phone.command(.unlock, on: vin, as: holder, minRevision: minRevision)
            let token = try verifier.verifyUnlockToken(
                document, vin: vin, command: .unlock, nowUnixMs: WallClock.nowUnixMs())
            say(
                "\(who) unlocked: token from member \(token.issuingNode), \(token.consistency) read at revision \(token.revision), valid \((token.expiresAtUnixMs - token.issuedAtUnixMs) / 1_000) s — verified offline against the cluster CA"
            )
            return token.revision
        }
        _ = try await unlock(owner, "owner", minRevision: enrolled)

        let guest = KeyHolder()
        let shared = try await phone.grant(
            guest.publicKey, role: .guest, on: vin, signedBy: owner,
            notAfterUnixMs: WallClock.nowUnixMs() + Self.guestAccessSeconds * 1_000, minRevision: enrolled
        ).revision
        say("owner shared a guest key for \(Self.guestAccessSeconds / 3_600) h at revision \(shared)")

        let lostRegion = cluster.region(of: leader)
        for id in cluster.ids where cluster.region(of: id) == lostRegion { cluster.kill(id) }
        say("region \(lostRegion) lost: its members were killed with SIGKILL")
        _ = try await unlock(guest, "guest", minRevision: shared)

        let revoked = try await phone.change(.revoke, guest.keyID, on: vin, signedBy: owner, minRevision: shared)
            .revision
        say("owner revoked the guest key at revision \(revoked), without region \(lostRegion)")
        do {
            _ = try await phone.command(.unlock, on: vin, as: guest, minRevision: revoked)
            throw ValidationError("a revoked key was authorized")
        } catch MemberClient.CallError.problem(let status, let type, _, _, _) where status == 403 {
            say("guest unlock refused after the revoke (\(type.split(separator: ":").last ?? ""))")
        }

        for id in cluster.ids where cluster.region(of: id) == lostRegion { try cluster.start(id) }
        try await cluster.waitForCatchUp()
        say("region \(lostRegion) back: its members restarted and caught up")
        _ = try await unlock(owner, "owner", minRevision: revoked)
    }
}
