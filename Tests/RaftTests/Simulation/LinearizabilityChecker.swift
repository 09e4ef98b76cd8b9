/// One client operation on one key as the client saw it: when it was invoked, when (if ever) it
/// returned, and what it returned. Times are positions in one global order of invocations and returns.
struct KeyValueHistoryOperation: CustomStringConvertible {
    let key: String
    let operation: KeyValueCommand.Operation
    let invokedAt: Int
    /// nil when no answer arrived: the operation may or may not have taken effect.
    var returnedAt: Int?
    var output: String?

    var description: String {
        "\(operation) \(key) [\(invokedAt), \(returnedAt.map(String.init) ?? "∞")] → \(output ?? "?")"
    }
}

/// A Wing–Gong search with memoisation of (linearised set, state), as in Lowe's and Porcupine's
/// checkers, for a register model with put, append and get. Histories are split by key first (a
/// key-value store is linearizable iff each key is), which keeps each search small.
enum LinearizabilityChecker {
    /// The first key whose history admits no linearization, or nil when all do.
    static func firstNonLinearizableKey(_ history: [KeyValueHistoryOperation], searchBudget: Int = 2_000_000) -> String? {
        let byKey = Dictionary(grouping: history, by: \.key)
        for key in byKey.keys.sorted() {
            var search = Search(operations: byKey[key] ?? [], budget: searchBudget)
            if !search.run() { return key }
        }
        return nil
    }

    private struct Bitset: Hashable {
        var words: [UInt64]

        init(count: Int) {
            words = Array(repeating: 0, count: (count + 63) / 64)
        }

        func contains(_ bit: Int) -> Bool { words[bit / 64] & (1 << UInt64(bit % 64)) != 0 }

        mutating func insert(_ bit: Int) { words[bit / 64] |= 1 << UInt64(bit % 64) }

        mutating func remove(_ bit: Int) { words[bit / 64] &= ~(1 << UInt64(bit % 64)) }
    }

    private struct Visited: Hashable {
        let linearized: Bitset
        let state: String
    }

    private struct Search {
        let operations: [KeyValueHistoryOperation]
        let completedCount: Int
        var budget: Int
        var visited: Set<Visited> = []

        init(operations: [KeyValueHistoryOperation], budget: Int) {
            self.operations = operations.sorted { $0.invokedAt < $1.invokedAt }
            self.completedCount = operations.count { $0.returnedAt != nil }
            self.budget = budget
        }

        mutating func run() -> Bool {
            var linearized = Bitset(count: operations.count)
            return extend(&linearized, completedDone: 0, state: "")
        }

        /// Tries every operation that may come next: one invoked before the earliest return among
        /// the operations still open (otherwise that return would precede its invocation).
        private mutating func extend(_ linearized: inout Bitset, completedDone: Int, state: String) -> Bool {
            if completedDone == completedCount { return true }
            budget -= 1
            precondition(budget > 0, "linearizability search budget exhausted; shrink the history")
            guard visited.insert(Visited(linearized: linearized, state: state)).inserted else { return false }
            var earliestReturn = Int.max
            for (index, operation) in operations.enumerated() where !linearized.contains(index) {
                if let returnedAt = operation.returnedAt { earliestReturn = min(earliestReturn, returnedAt) }
            }
            for (index, operation) in operations.enumerated() where !linearized.contains(index) {
                guard operation.invokedAt < earliestReturn else { break }
                let (nextState, output) = Self.apply(operation.operation, to: state)
                if let expected = operation.output, operation.returnedAt != nil, expected != output { continue }
                linearized.insert(index)
                let done = completedDone + (operation.returnedAt == nil ? 0 : 1)
                if extend(&linearized, completedDone: done, state: nextState) { return true }
                linearized.remove(index)
            }
            return false
        }

        static func apply(_ operation: KeyValueCommand.Operation, to state: String) -> (state: String, output: String) {
            switch operation {
            case .put(let value): (value, "ok")
            case .append(let value): (state + value, "ok")
            case .get: (state, state)
            }
        }
    }
}
