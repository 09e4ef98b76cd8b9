import Storage
import TestSupport
import Testing

@testable import RaftCore
@testable import RaftNode

@Suite("Snapshot files a member keeps")
struct NodeSnapshotStateTests {
    @Test(
        "cleanup keeps the durable snapshot, the core's latest, those pending Readies must install and those being streamed"
    )
    func keepsEveryFileStillNeeded() async throws {
        try await TemporaryDirectory.with("keep") { directory in
            let environment = try Environment(
                path: directory.appending("member"), options: EnvironmentOptions(durability: .noSync))
            let catalog = try SnapshotCatalog(environment: environment)
            let configuration = MembershipConfiguration(voters: [NodeID(1)])
            let snapshots = (1...5).map {
                SnapshotMetadata(index: LogIndex($0 * 10), term: 1, configuration: configuration)
            }
            var state = NodeSnapshotState(durable: snapshots[0])
            let streaming = Task<Void, Never> {}
            state.outgoing[NodeID(2)] = (snapshots[1], streaming)
            let keep = state.filesToKeep(catalog: catalog, latest: snapshots[3], pendingInstalls: [snapshots[2]])
            #expect(keep == Set([snapshots[0], snapshots[1], snapshots[2], snapshots[3]].map(catalog.path(of:))))
            #expect(!keep.contains(catalog.path(of: snapshots[4])))
        }
    }
}
