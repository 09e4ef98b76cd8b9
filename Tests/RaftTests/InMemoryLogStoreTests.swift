import RaftNode
import Testing

@Suite("In-memory log store")
struct InMemoryLogStoreTests {
    static let fixture = LogStoreFixture(make: { InMemoryLogStore() }, reopen: { $0 })

    @Test("the in-memory store keeps the log store contract", arguments: LogStoreContract.checks)
    func contract(_ check: LogStoreContractCheck) throws {
        try check.run(Self.fixture)
    }
}
