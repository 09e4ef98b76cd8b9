import Storage
import TestSupport
import Testing

@testable import RaftCore
@testable import RaftNode

@Suite("Client sessions: exactly-once application")
struct ExactlyOnceTests {
    func withPersister(
        expiryEntries: UInt64 = 1_000, _ body: (ReadyPersister, AppendingStateMachine, Environment) throws -> Void
    ) async throws {
        try await TemporaryDirectory.with("sessions") { directory in
            let environment = try Environment(path: directory.path, options: EnvironmentOptions(durability: .noSync))
            let stateMachine = try AppendingStateMachine(environment: environment)
            let persister = try ReadyPersister(
                store: LMDBLogStore(environment: environment),
                sessions: ClientSessions(environment: environment, expiryEntries: expiryEntries, maxResultBytes: 64),
                stateMachine: stateMachine, catalog: SnapshotCatalog(environment: environment))
            try body(persister, stateMachine, environment)
        }
    }

    /// Entries from `first` on carrying `envelopes`, committed in one Ready.
    func ready(from first: LogIndex, _ envelopes: [ProposalEnvelope]) -> Ready {
        let entries = envelopes.enumerated().map { offset, envelope in
            Entry(index: first + LogIndex(offset), term: 1, kind: .normal, payload: envelope.encoded())
        }
        return Ready(entriesToAppend: entries, committedEntries: entries)
    }

    func apply(_ ready: Ready, _ persister: ReadyPersister, _ environment: Environment) throws -> [ApplyOutcome] {
        try environment.write { txn in try persister.persist([ready], in: txn) }
    }

    @Test("a command proposed twice with one request id is applied once and both copies get the first result")
    func duplicateIsAnsweredNotApplied() async throws {
        try await withPersister { persister, stateMachine, environment in
            let request = RequestID(session: 1, sequence: 1)
            let outcomes = try apply(
                ready(
                    from: 1,
                    [
                        .registerSession(nonce: 7), .command(request, Array("k=a".utf8)),
                        .command(request, Array("k=a".utf8)),
                    ]), persister, environment)
            #expect(
                outcomes == [
                    .sessionRegistered(nonce: 7, session: 1),
                    .command(request, .applied(result: Array("1".utf8), index: 2)),
                    .command(request, .applied(result: Array("1".utf8), index: 2)),
                ])
            #expect(try stateMachine.values(of: "k", in: environment) == ["a"])
            #expect(try persister.appliedIndex() == 3)
        }
    }

    @Test("a command for a session that was never registered is refused and not applied")
    func unknownSessionIsRefused() async throws {
        try await withPersister { persister, stateMachine, environment in
            let request = RequestID(session: 42, sequence: 1)
            let outcomes = try apply(ready(from: 1, [.command(request, Array("k=a".utf8))]), persister, environment)
            #expect(outcomes == [.command(request, .refused(.sessionExpired))])
            #expect(try stateMachine.values(of: "k", in: environment).isEmpty)
        }
    }

    @Test("an older sequence than the session's last is refused as stale")
    func olderSequenceIsStale() async throws {
        try await withPersister { persister, stateMachine, environment in
            let outcomes = try apply(
                ready(
                    from: 1,
                    [
                        .registerSession(nonce: 1),
                        .command(RequestID(session: 1, sequence: 2), Array("k=b".utf8)),
                        .command(RequestID(session: 1, sequence: 1), Array("k=a".utf8)),
                    ]), persister, environment)
            #expect(outcomes.last == .command(RequestID(session: 1, sequence: 1), .refused(.staleSequence)))
            #expect(try stateMachine.values(of: "k", in: environment) == ["b"])
        }
    }

    @Test("an idle session expires after expiryEntries applied entries, on every member at the same index")
    func idleSessionExpires() async throws {
        try await withPersister(expiryEntries: 3) { persister, stateMachine, environment in
            var envelopes: [ProposalEnvelope] = [.registerSession(nonce: 1), .registerSession(nonce: 2)]
            // Session 2 stays busy; session 1 goes idle.
            for sequence in 1...4 {
                envelopes.append(
                    .command(RequestID(session: 2, sequence: UInt64(sequence)), Array("busy=\(sequence)".utf8)))
            }
            envelopes.append(.command(RequestID(session: 1, sequence: 1), Array("idle=late".utf8)))
            let outcomes = try apply(ready(from: 1, envelopes), persister, environment)
            #expect(outcomes.last == .command(RequestID(session: 1, sequence: 1), .refused(.sessionExpired)))
            #expect(try stateMachine.values(of: "idle", in: environment).isEmpty)
            #expect(try stateMachine.values(of: "busy", in: environment) == ["1", "2", "3", "4"])
        }
    }
}
