import Testing

@testable import RaftCore
@testable import RaftNode

/// The clock half of bounded reads (`FreshnessProbeStamps`): which moment a member's state is proven
/// current as of, including while the newest witness's Ready has not been taken yet.
@Suite("Freshness probe stamps")
struct FreshnessProbeStampsTests {
    static func witness(_ probe: UInt64) -> FreshnessWitness { FreshnessWitness(probe: probe, issuedAtTick: 0) }

    @Test(
        "a witness answered before its stamp was taken keeps the previous witness's stamp, never a later unanswered probe's"
    )
    func witnessWithoutStampKeepsPrevious() {
        var stamps = FreshnessProbeStamps<Int>()
        stamps.issued([10], at: 100)
        #expect(stamps.stamp(of: Self.witness(10)) == 100)
        // Probe 11 left at 200 and was never answered; probe 12 is the witness, its stamp not yet taken.
        stamps.issued([11], at: 200)
        #expect(stamps.stamp(of: Self.witness(12)) == 100, "the last witness's stamp, not probe 11's")
        stamps.issued([12], at: 300)
        #expect(stamps.stamp(of: Self.witness(12)) == 300)
        #expect(stamps.stamp(of: nil) == nil)
    }

    @Test("with no earlier witness, a witness without a stamp proves nothing yet")
    func firstWitnessWithoutStamp() {
        var stamps = FreshnessProbeStamps<Int>()
        stamps.issued([1], at: 50)
        #expect(stamps.stamp(of: Self.witness(2)) == nil)
    }
}
