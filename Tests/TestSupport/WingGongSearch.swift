/// A sequential specification a history is checked against: a state, and what an operation does to it.
public protocol SequentialModel {
    associatedtype State: Hashable
    associatedtype Input
    associatedtype Output: Equatable

    static var initialState: State { get }
    /// The state after `input`, and what it answers.
    static func apply(_ input: Input, to state: State) -> (state: State, output: Output)
}

/// One operation of a history on one object, as the client saw it. Times are positions in one order of
/// invocations and returns (any clock works, as long as it is the same for every operation).
public struct HistoryOperation<Model: SequentialModel> {
    public var input: Model.Input
    public var invokedAt: Int
    /// nil when no answer arrived: the operation may or may not have taken effect.
    public var returnedAt: Int?
    /// What it answered; ignored while `returnedAt` is nil.
    public var output: Model.Output?

    public init(input: Model.Input, invokedAt: Int, returnedAt: Int?, output: Model.Output?) {
        precondition(returnedAt.map { $0 >= invokedAt } ?? true, "an operation returns after it was invoked")
        self.input = input
        self.invokedAt = invokedAt
        self.returnedAt = returnedAt
        self.output = output
    }
}

/// The Wing–Gong search for a linearization, with memoisation of (linearized set, state) as in Lowe's and
/// Porcupine's checkers. Check one object at a time (a store is linearizable iff each key is), which keeps
/// each search small.
public enum WingGongSearch {
    /// Whether some order of the operations, each placed between its invocation and its return (an
    /// operation without a return may also be left out), gives every answer the model gives.
    /// `searchBudget` bounds the steps; exhausting it is a precondition failure (shrink the history).
    public static func isLinearizable<Model: SequentialModel>(
        _ history: [HistoryOperation<Model>], model: Model.Type, searchBudget: Int = 2_000_000
    ) -> Bool {
        var search = Search<Model>(operations: history, budget: searchBudget)
        return search.run()
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

    private struct Visited<State: Hashable>: Hashable {
        let linearized: Bitset
        let state: State
    }

    private struct Search<Model: SequentialModel> {
        let operations: [HistoryOperation<Model>]
        let completedCount: Int
        var budget: Int
        var visited: Set<Visited<Model.State>> = []

        init(operations: [HistoryOperation<Model>], budget: Int) {
            self.operations = operations.sorted { $0.invokedAt < $1.invokedAt }
            self.completedCount = operations.count { $0.returnedAt != nil }
            self.budget = budget
        }

        mutating func run() -> Bool {
            var linearized = Bitset(count: operations.count)
            return extend(&linearized, completedDone: 0, state: Model.initialState)
        }

        /// Tries every operation that may come next: one invoked before the earliest return among the
        /// operations still open (otherwise that return would precede its invocation).
        private mutating func extend(_ linearized: inout Bitset, completedDone: Int, state: Model.State) -> Bool {
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
                let (nextState, output) = Model.apply(operation.input, to: state)
                if operation.returnedAt != nil, let expected = operation.output, expected != output { continue }
                linearized.insert(index)
                let done = completedDone + (operation.returnedAt == nil ? 0 : 1)
                if extend(&linearized, completedDone: done, state: nextState) { return true }
                linearized.remove(index)
            }
            return false
        }
    }
}
