import Foundation
import KeyCluster
import Testing

/// The files an operator copies from `Deploy/` must stay true to the code they configure.
@Suite("Deploy examples")
struct DeployExampleTests {
    /// The repository's `Deploy/` directory, found from this source file (Tests/KeyClusterTests/Config/…).
    private static let deployDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Deploy").path

    @Test("the example member configuration loads, validates and spreads its voters 1-1-1 over regions")
    func exampleConfigurationIsValid() throws {
        let configuration = try NodeConfiguration.load(from: "\(Self.deployDirectory)/examples/node-1.json")
        #expect(configuration.members.count == 3)
        #expect(Set(configuration.members.map(\.region)).count == 3)
        #expect(configuration.bootstrapMembership.placement.refusal == nil)
        #expect(configuration.dataDirectory == "/var/lib/keycluster", "the systemd unit's StateDirectory")
    }

    @Test("the systemd unit runs that configuration with a clean SIGTERM stop")
    func systemdUnitMatchesTheExample() throws {
        let unit = try String(contentsOfFile: "\(Self.deployDirectory)/systemd/keycluster.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/keycluster serve --config /etc/keycluster/node.json"))
        #expect(unit.contains("StateDirectory=keycluster"))
        #expect(unit.contains("KillSignal=SIGTERM"))
    }
}
