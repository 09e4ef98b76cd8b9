/// SplitMix64: a tiny, fast, seedable generator. The core never touches global randomness, so a
/// simulation seeded with the same value replays the same elections. Not for cryptography.
public struct DeterministicRandom: RandomNumberGenerator, Sendable, Equatable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A value in `0..<bound`, written out rather than taken from the standard library so that the
    /// sequence stays the same across Swift versions (seeds must replay forever).
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "an empty range has no values")
        return next() % bound
    }

    /// A value in `range`.
    public mutating func next(in range: Range<Int>) -> Int {
        precondition(!range.isEmpty, "an empty range has no values")
        return range.lowerBound + Int(next(below: UInt64(range.count)))
    }

    /// True with probability `numerator / denominator`.
    public mutating func chance(_ numerator: UInt64, in denominator: UInt64) -> Bool {
        next(below: denominator) < numerator
    }
}
