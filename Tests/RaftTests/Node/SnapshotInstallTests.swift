import Foundation
import Storage
import TestSupport
import Testing

@testable import RaftCore
@testable import RaftNode

@Suite("Snapshot install in the Ready persister")
struct SnapshotInstallTests {
    struct Member {
        let environment: Environment
        let persister: ReadyPersister
        let stateMachine: AppendingStateMachine

        init(_ path: String) throws {
            environment = try Environment(path: path, options: EnvironmentOptions(durability: .noSync))
            stateMachine = try AppendingStateMachine(environment: environment)
            persister = try ReadyPersister(
                store: LMDBLogStore(environment: environment),
                sessions: ClientSessions(environment: environment, expiryEntries: 1_000, maxResultBytes: 64),
                stateMachine: stateMachine, catalog: SnapshotCatalog(environment: environment))
        }

        func persist(_ readies: [Ready]) throws -> [ApplyOutcome] {
            try environment.write { txn in try persister.persist(readies, in: txn) }
        }
    }

    func entries(from first: LogIndex, _ envelopes: [ProposalEnvelope]) -> [Entry] {
        envelopes.enumerated().map { offset, envelope in
            Entry(index: first + LogIndex(offset), term: 1, kind: .normal, payload: envelope.encoded())
        }
    }

    @Test(
        "an installed snapshot carries the sessions: a retried command after the install is answered, not applied again; the log restarts at it"
    )
    func installKeepsExactlyOnce() async throws {
        try await TemporaryDirectory.with("install") { directory in
            let leader = try Member(directory.appending("leader"))
            let follower = try Member(directory.appending("follower"))
            let request = RequestID(session: 1, sequence: 1)
            let applied = entries(from: 1, [.registerSession(nonce: 9), .command(request, Array("k=a".utf8))])
            _ = try leader.persist([Ready(entriesToAppend: applied, committedEntries: applied)])

            // The follower holds an entry the snapshot does not match (another payload): it must go.
            _ = try follower.persist([Ready(entriesToAppend: [Entry(index: 1, term: 1, kind: .normal, payload: [])])])
            let snapshot = SnapshotMetadata(
                index: 2, term: 2, configuration: MembershipConfiguration(voters: [NodeID(1), NodeID(2)]))
            let catalog = follower.persister.catalog
            try SnapshotFile.write(
                from: leader.environment, databases: leader.persister.stateDatabases, to: catalog.incomingPath
            ) { txn in
                try leader.persister.appliedIndex(in: txn)
            }
            try catalog.publish(catalog.incomingPath, as: snapshot)
            let retry = [
                Entry(
                    index: 3, term: 2, kind: .normal,
                    payload: ProposalEnvelope.command(request, Array("k=a".utf8)).encoded())
            ]
            let outcomes = try follower.persist([
                Ready(
                    hardState: HardState(term: 2, vote: nil, commit: 3), entriesToAppend: retry,
                    snapshotToInstall: snapshot, committedEntries: retry)
            ])
            #expect(outcomes == [.command(request, .applied(result: Array("1".utf8), index: 2))])
            #expect(try follower.stateMachine.values(of: "k", in: follower.environment) == ["a"])
            #expect(try follower.persister.appliedIndex() == 3)
            #expect(try follower.persister.store.boundary() == snapshot.position)
            #expect(try follower.persister.store.entries(in: 3...3, maxBytes: .max) == retry)
            #expect(try catalog.latest(in: follower.environment) == snapshot)
        }
    }
}
