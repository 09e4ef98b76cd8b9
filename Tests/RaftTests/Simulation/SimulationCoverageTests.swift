import TestSupport
import Testing

/// The simulator exercises what it claims to: snapshots installed through the network, and membership
/// changes committed while faults go on. A run that silently stopped doing either would pass vacuously.
@Suite("Simulation coverage")
struct SimulationCoverageTests {
    static let seeds: ClosedRange<UInt64> = 1...25

    @Test("simulated runs install snapshots on lagging members and change membership under faults")
    func snapshotsAndMembershipChangesHappen() async throws {
        let (installs, changes, runsWithLearnersOrNewVoters) = try await onDedicatedThread {
            var counts = (0, 0, 0)
            for seed in Self.seeds {
                let simulation = Simulation(seed: seed)
                try simulation.run()
                counts.0 += simulation.nodes.reduce(0) { $0 + $1.snapshots.installCount }
                counts.1 += simulation.membershipChangesAccepted
                counts.2 += simulation.nodes.count > simulation.configuration.voters.count ? 1 : 0
            }
            return counts
        }
        print(
            "Simulation coverage: seeds \(Self.seeds): \(installs) snapshot installs, \(changes) membership changes, \(runsWithLearnersOrNewVoters) runs added members"
        )
        #expect(installs > 0)
        #expect(changes > 0)
        #expect(runsWithLearnersOrNewVoters > 0)
    }
}
