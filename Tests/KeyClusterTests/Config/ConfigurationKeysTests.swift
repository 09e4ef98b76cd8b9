import Foundation
import KeyClusterTooling
import TestSupport
import Testing

@testable import KeyCluster

/// Misspelt configuration keys are refused with the nearest known name (issue 15), never ignored.
@Suite("unknown configuration keys")
struct ConfigurationKeysTests {
    /// A configuration as `local-cluster` writes it, with every optional section, as JSON.
    private func written(_ directory: TemporaryDirectory) throws -> [String: Any] {
        var configuration = try LocalClusterLayout(directory: directory.path)
            .create(members: [.init(id: 1, region: "eu", peerPort: 17_101, clientPort: 18_101)])[0]
        configuration.admission = AdmissionLimits()
        configuration.quota = StorageQuota()
        configuration.peer = PeerPortLimits()
        configuration.snapshots = .init(thresholdEntries: 100, retainedEntries: 10, maxChunkBytes: 1 << 20)
        configuration.maxStalenessMilliseconds = 5_000
        configuration.forceUnsafePlacement = false
        let data = try JSONEncoder().encode(configuration)
        #expect(ConfigurationKeys.unknownKey(in: data) == nil, "every key the member writes is known")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func load(_ object: [String: Any], in directory: TemporaryDirectory) throws -> String? {
        let path = directory.appending("node.json")
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        do {
            _ = try NodeConfiguration.load(from: path)
            return nil
        } catch let invalid as NodeConfiguration.Invalid {
            return invalid.reason
        }
    }

    @Test(
        "misspelt keys at the top, in a section and in a member are refused with the nearest name; the written file loads"
    )
    func misspelt() throws {
        let directory = try TemporaryDirectory("config-keys")
        defer { directory.remove() }
        let good = try written(directory)
        #expect(try load(good, in: directory) == nil)

        var top = good
        top["maxStalenesMilliseconds"] = 2_000
        #expect(
            try load(top, in: directory)?.contains(
                #"unknown key "maxStalenesMilliseconds" (did you mean "maxStalenessMilliseconds"?)"#) == true)

        var timing = good
        var inner = try #require(good["timing"] as? [String: Any])
        inner["tickMiliseconds"] = 50
        timing["timing"] = inner
        #expect(try load(timing, in: directory)?.contains(#"did you mean "timing.tickMilliseconds"?"#) == true)

        var member = good
        var members = try #require(good["members"] as? [[String: Any]])
        members[0]["regoin"] = "eu"
        member["members"] = members
        #expect(try load(member, in: directory)?.contains(#"did you mean "members[].region"?"#) == true)

        var unrelated = good
        unrelated["colour"] = "blue"
        let reason = try load(unrelated, in: directory)
        #expect(
            reason?.contains(#"unknown key "colour""#) == true && reason?.contains("did you mean") == false,
            "\(reason ?? "")")
    }

    @Test("edit distance")
    func distance() {
        #expect(ConfigurationKeys.distance("tickMiliseconds", "tickMilliseconds") == 1)
        #expect(ConfigurationKeys.distance("", "abc") == 3)
        #expect(ConfigurationKeys.distance("same", "same") == 0)
    }
}
