import RaftCore
import RaftNode
import Testing

/// How the contract suite gets a store: `make` returns a fresh, empty one; `reopen` returns the same
/// log as seen after a restart (closing and reopening files for a durable store; the very same
/// instance for the in-memory one).
struct LogStoreFixture: Sendable {
    let make: @Sendable () throws -> any RaftLogStore
    let reopen: @Sendable (any RaftLogStore) throws -> any RaftLogStore
}

/// One rule every `RaftLogStore` must keep. Run all of them against a store with
/// `@Test(arguments: LogStoreContract.checks) func contract(_ check: LogStoreContractCheck) throws`.
struct LogStoreContractCheck: Sendable, CustomTestStringConvertible {
    let name: String
    let run: @Sendable (LogStoreFixture) throws -> Void

    var testDescription: String { name }
}

enum LogStoreContract {
    static let checks: [LogStoreContractCheck] = [
        LogStoreContractCheck(name: "an empty store holds nothing and starts at the origin") { fixture in
            let store = try fixture.make()
            #expect(try store.boundary() == .origin)
            #expect(try store.firstIndex() == 1)
            #expect(try store.lastIndex() == 0)
            #expect(try store.term(at: 0) == 0)
            #expect(try store.hardState() == .initial)
            #expect(throws: LogStoreError.unavailable(requested: 1, lastIndex: 0)) { try store.term(at: 1) }
        },
        LogStoreContractCheck(name: "appended entries read back in order with their terms") { fixture in
            let store = try fixture.make()
            let written = Entry.run(1...5, term: 1) + Entry.run(6...7, term: 2)
            try store.persist(hardState: nil, entries: written)
            #expect(try store.lastIndex() == 7)
            #expect(try store.entries(in: 1...7, maxBytes: .max) == written)
            #expect(try store.entries(in: 3...4, maxBytes: .max) == Array(written[2...3]))
            #expect(try store.term(at: 5) == 1)
            #expect(try store.term(at: 6) == 2)
            #expect(throws: LogStoreError.unavailable(requested: 8, lastIndex: 7)) { try store.term(at: 8) }
        },
        LogStoreContractCheck(name: "an append replaces a conflicting suffix and keeps the prefix") { fixture in
            let store = try fixture.make()
            try store.persist(hardState: nil, entries: Entry.run(1...5, term: 1))
            let replacement = Entry.run(3...4, term: 2, payloadBytes: 7)
            try store.persist(hardState: nil, entries: replacement)
            #expect(try store.lastIndex() == 4)
            #expect(try store.entries(in: 1...4, maxBytes: .max) == Entry.run(1...2, term: 1) + replacement)
        },
        LogStoreContractCheck(name: "an append that leaves a gap or is not contiguous is refused and changes nothing") {
            fixture in
            let store = try fixture.make()
            try store.persist(hardState: nil, entries: Entry.run(1...3, term: 1))
            #expect(throws: LogStoreError.self) {
                try store.persist(hardState: nil, entries: Entry.run(5...6, term: 1))
            }
            let gapped = [Entry(index: 4, term: 1, kind: .normal), Entry(index: 6, term: 1, kind: .normal)]
            #expect(throws: LogStoreError.self) { try store.persist(hardState: nil, entries: gapped) }
            #expect(try store.lastIndex() == 3)
            #expect(try store.entries(in: 1...3, maxBytes: .max) == Entry.run(1...3, term: 1))
        },
        LogStoreContractCheck(name: "a range read stops at the byte limit but returns at least one entry") { fixture in
            let store = try fixture.make()
            let written = Entry.run(1...10, term: 1, payloadBytes: 100)
            try store.persist(hardState: nil, entries: written)
            let entryBytes = written[0].byteCount
            #expect(try store.entries(in: 1...10, maxBytes: 2 * entryBytes + 1) == Array(written[0...1]))
            #expect(try store.entries(in: 4...10, maxBytes: 0) == [written[3]])
            #expect(try store.entries(in: 1...10, maxBytes: .max).count == 10)
        },
        LogStoreContractCheck(name: "hard state is stored, and a nil hard state leaves it unchanged") { fixture in
            let store = try fixture.make()
            let hardState = HardState(term: 7, vote: NodeID(3), commit: 2)
            try store.persist(hardState: hardState, entries: Entry.run(1...2, term: 7))
            try store.persist(hardState: nil, entries: Entry.run(3...3, term: 7))
            #expect(try store.hardState() == hardState)
            try store.persist(hardState: HardState(term: 8, vote: nil, commit: 3), entries: [])
            #expect(try store.hardState() == HardState(term: 8, vote: nil, commit: 3))
        },
        LogStoreContractCheck(name: "compaction drops the prefix and keeps the boundary's term") { fixture in
            let store = try fixture.make()
            try store.persist(hardState: nil, entries: Entry.run(1...3, term: 1) + Entry.run(4...6, term: 2))
            try store.compact(through: 4)
            #expect(try store.boundary() == LogPosition(index: 4, term: 2))
            #expect(try store.firstIndex() == 5)
            #expect(try store.lastIndex() == 6)
            #expect(try store.term(at: 4) == 2)
            #expect(throws: LogStoreError.compacted(requested: 3, boundary: 4)) { try store.term(at: 3) }
            #expect(throws: LogStoreError.compacted(requested: 4, boundary: 4)) {
                try store.entries(in: 4...6, maxBytes: .max)
            }
            #expect(try store.entries(in: 5...6, maxBytes: .max) == Entry.run(5...6, term: 2))
            try store.compact(through: 2)
            #expect(try store.boundary() == LogPosition(index: 4, term: 2))
            #expect(throws: LogStoreError.self) { try store.compact(through: 9) }
            try store.persist(hardState: nil, entries: Entry.run(6...8, term: 3))
            #expect(
                try store.entries(in: 5...8, maxBytes: .max) == Entry.run(5...5, term: 2) + Entry.run(6...8, term: 3))
            #expect(throws: LogStoreError.self) {
                try store.persist(hardState: nil, entries: Entry.run(3...4, term: 3))
            }
        },
        LogStoreContractCheck(name: "compacting the whole log leaves an empty log after the boundary") { fixture in
            let store = try fixture.make()
            try store.persist(hardState: nil, entries: Entry.run(1...3, term: 2))
            try store.compact(through: 3)
            #expect(try store.firstIndex() == 4)
            #expect(try store.lastIndex() == 3)
            #expect(try store.term(at: 3) == 2)
            try store.persist(hardState: nil, entries: Entry.run(4...4, term: 2))
            #expect(try store.lastIndex() == 4)
        },
        LogStoreContractCheck(name: "restoring to a snapshot the log holds keeps the entries after it") { fixture in
            var store = try fixture.make()
            try store.persist(hardState: nil, entries: Entry.run(1...3, term: 1) + Entry.run(4...6, term: 2))
            try store.compact(through: 1)
            try store.restore(toSnapshot: LogPosition(index: 4, term: 2))
            store = try fixture.reopen(store)
            #expect(try store.boundary() == LogPosition(index: 4, term: 2))
            #expect(try store.firstIndex() == 5)
            #expect(try store.entries(in: 5...6, maxBytes: .max) == Entry.run(5...6, term: 2))
            #expect(throws: LogStoreError.compacted(requested: 3, boundary: 4)) { try store.term(at: 3) }
        },
        LogStoreContractCheck(name: "restoring to a snapshot the log does not hold drops every entry") { fixture in
            var store = try fixture.make()
            try store.persist(hardState: nil, entries: Entry.run(1...5, term: 1))
            // Same index, other term: a conflicting suffix from an old leader must not survive.
            try store.restore(toSnapshot: LogPosition(index: 4, term: 3))
            #expect(try store.lastIndex() == 4)
            #expect(try store.term(at: 4) == 3)
            // Beyond the end of the log.
            try store.restore(toSnapshot: LogPosition(index: 20, term: 4))
            store = try fixture.reopen(store)
            #expect(try store.boundary() == LogPosition(index: 20, term: 4))
            #expect(try store.firstIndex() == 21)
            #expect(try store.lastIndex() == 20)
            try store.persist(hardState: nil, entries: Entry.run(21...22, term: 4))
            #expect(try store.entries(in: 21...22, maxBytes: .max) == Entry.run(21...22, term: 4))
        },
        LogStoreContractCheck(name: "everything written is there after a reopen") { fixture in
            var store = try fixture.make()
            let hardState = HardState(term: 4, vote: NodeID(2), commit: 5)
            try store.persist(hardState: hardState, entries: Entry.run(1...4, term: 1) + Entry.run(5...8, term: 4))
            try store.persist(hardState: nil, entries: Entry.run(7...7, term: 4, payloadBytes: 9))
            try store.compact(through: 2)
            store = try fixture.reopen(store)
            let restart = try store.restartState()
            #expect(restart.hardState == hardState)
            #expect(restart.boundary == LogPosition(index: 2, term: 1))
            #expect(
                restart.entries == Entry.run(3...4, term: 1) + Entry.run(5...6, term: 4)
                    + Entry.run(7...7, term: 4, payloadBytes: 9))
        },
    ]
}
