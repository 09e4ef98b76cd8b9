import Foundation

/// The seed of a randomised test: taken from `KEYCLUSTER_TEST_SEED` to replay a failure, else drawn fresh.
/// Tests print it, so any failure can be replayed from its output.
public enum TestSeed {
    public static func make(_ testName: String) -> UInt64 {
        let seed =
            ProcessInfo.processInfo.environment["KEYCLUSTER_TEST_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 0 ... .max)
        print("\(testName): seed \(seed) (replay with KEYCLUSTER_TEST_SEED=\(seed))")
        return seed
    }
}

/// SplitMix64: a small deterministic generator for tests that must replay from their seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
