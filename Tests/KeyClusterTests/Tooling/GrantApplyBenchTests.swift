import Foundation
import TestSupport
import Testing

@testable import KeyClusterTooling

/// `keycluster bench apply` measures grants only if every grant it makes applies: a refused grant costs a
/// fraction of an applied one and would flatter the figure.
@Suite("grant apply bench")
struct GrantApplyBenchTests {
    @Test("one vehicle's run applies every grant and reports its cost")
    func everyGrantApplies() throws {
        let directory = try TemporaryDirectory("apply-bench")
        defer { directory.remove() }
        let report = try GrantApplyBench.run(directory: directory.appending("lmdb"), vehicles: 1)
        #expect(report.grants == GrantApplyBench.grantsPerVehicle)
        #expect(report.commandBytes > 0)
        #expect(report.cpuMicrosecondsPerGrant > 0)
    }
}
