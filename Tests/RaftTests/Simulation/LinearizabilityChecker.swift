import TestSupport

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

/// The simulator's histories checked with the shared Wing–Gong search against a register model with put,
/// append and get, key by key.
enum LinearizabilityChecker {
    /// The first key whose history admits no linearization, or nil when all do.
    static func firstNonLinearizableKey(_ history: [KeyValueHistoryOperation], searchBudget: Int = 2_000_000) -> String?
    {
        let byKey = Dictionary(grouping: history, by: \.key)
        for key in byKey.keys.sorted() {
            let operations = (byKey[key] ?? []).map {
                HistoryOperation<Register>(
                    input: $0.operation, invokedAt: $0.invokedAt, returnedAt: $0.returnedAt, output: $0.output)
            }
            if !WingGongSearch.isLinearizable(operations, model: Register.self, searchBudget: searchBudget) {
                return key
            }
        }
        return nil
    }

    /// A string register with put, append and get.
    enum Register: SequentialModel {
        static let initialState = ""

        static func apply(_ operation: KeyValueCommand.Operation, to state: String) -> (state: String, output: String) {
            switch operation {
            case .put(let value): (value, "ok")
            case .append(let value): (state + value, "ok")
            case .get: (state, state)
            }
        }
    }
}
