import RaftCore
import Testing

@Suite("Region-aware voter placement")
struct VoterPlacementTests {
    func placement(_ regions: [String]) -> VoterPlacement {
        VoterPlacement(
            regions: Dictionary(
                uniqueKeysWithValues: regions.enumerated().map { (NodeID(UInt64($0.offset + 1)), $0.element) }))
    }

    @Test("three voters one per region survive the loss of any region")
    func threeSpread() {
        #expect(placement(["eu", "us", "ap"]).survivesAnyRegionLoss)
        #expect(placement(["eu", "us", "ap"]).refusal == nil)
    }

    @Test("five voters spread 2-2-1 survive the loss of any region")
    func fiveSpread() {
        #expect(placement(["eu", "eu", "us", "us", "ap"]).survivesAnyRegionLoss)
    }

    @Test("a region holding a majority of voters is critical, and the refusal names it and says how to fix it")
    func majorityInOneRegionIsRefused() {
        let placement = placement(["eu", "eu", "us"])
        #expect(placement.criticalRegions == ["eu"])
        #expect(placement.refusal?.contains("losing region eu would lose the quorum") == true)
        #expect(placement.refusal?.contains("force") == true)
    }

    @Test("five voters 3-1-1 and 2-2 of four are refused: one region's loss leaves no quorum")
    func unevenSpreadsAreRefused() {
        #expect(placement(["eu", "eu", "eu", "us", "ap"]).criticalRegions == ["eu"])
        #expect(placement(["eu", "eu", "us", "us"]).criticalRegions == ["eu", "us"])
    }

    @Test("a single-region cluster (development) is flagged; a single voter is its own critical region")
    func singleRegion() {
        #expect(!placement(["local"]).survivesAnyRegionLoss)
        #expect(!placement(["eu", "eu", "eu"]).survivesAnyRegionLoss)
    }
}
