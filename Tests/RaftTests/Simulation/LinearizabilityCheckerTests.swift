import Testing

/// The checker is what makes the simulator's linearizability claim worth anything, so it is tested
/// on histories whose answer is known.
@Suite("Linearizability checker")
struct LinearizabilityCheckerTests {
    typealias Operation = KeyValueHistoryOperation

    @Test("a stale read after a completed write is not linearizable")
    func staleReadRejected() {
        let history = [
            Operation(key: "k", operation: .put("1"), invokedAt: 0, returnedAt: 1, output: "ok"),
            Operation(key: "k", operation: .put("2"), invokedAt: 2, returnedAt: 3, output: "ok"),
            Operation(key: "k", operation: .get, invokedAt: 4, returnedAt: 5, output: "1"),
        ]
        #expect(LinearizabilityChecker.firstNonLinearizableKey(history) == "k")
    }

    @Test("concurrent operations may take effect in either order")
    func concurrentOrdersAccepted() {
        let history = [
            Operation(key: "k", operation: .append("a"), invokedAt: 0, returnedAt: 5, output: "ok"),
            Operation(key: "k", operation: .append("b"), invokedAt: 1, returnedAt: 4, output: "ok"),
            Operation(key: "k", operation: .get, invokedAt: 2, returnedAt: 3, output: "b"),
            Operation(key: "k", operation: .get, invokedAt: 6, returnedAt: 7, output: "ba"),
        ]
        #expect(LinearizabilityChecker.firstNonLinearizableKey(history) == nil)
    }

    @Test("an operation that never returned may or may not have taken effect")
    func pendingOperationIsOptional() {
        let tookEffect = [
            Operation(key: "k", operation: .put("x"), invokedAt: 0, returnedAt: nil, output: nil),
            Operation(key: "k", operation: .get, invokedAt: 1, returnedAt: 2, output: "x"),
        ]
        let didNot = [
            Operation(key: "k", operation: .put("x"), invokedAt: 0, returnedAt: nil, output: nil),
            Operation(key: "k", operation: .get, invokedAt: 1, returnedAt: 2, output: ""),
        ]
        #expect(LinearizabilityChecker.firstNonLinearizableKey(tookEffect) == nil)
        #expect(LinearizabilityChecker.firstNonLinearizableKey(didNot) == nil)
    }

    @Test("a value that was never written cannot be read")
    func phantomReadRejected() {
        let history = [
            Operation(key: "a", operation: .put("1"), invokedAt: 0, returnedAt: 1, output: "ok"),
            Operation(key: "b", operation: .get, invokedAt: 2, returnedAt: 3, output: "1"),
        ]
        #expect(LinearizabilityChecker.firstNonLinearizableKey(history) == "b")
    }
}
