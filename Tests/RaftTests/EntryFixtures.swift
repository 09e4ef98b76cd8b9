import RaftCore

extension Entry {
    /// Normal entries at `indexes`, all of `term`, each with `payloadBytes` bytes derived from its index
    /// (so entries at different indexes differ).
    static func run(_ indexes: ClosedRange<LogIndex>, term: Term, payloadBytes: Int = 1) -> [Entry] {
        indexes.map {
            Entry(
                index: $0, term: term, kind: .normal,
                payload: Array(repeating: UInt8(truncatingIfNeeded: $0), count: payloadBytes))
        }
    }
}
