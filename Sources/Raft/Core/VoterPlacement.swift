/// Whether a voter set survives the loss of any one region (design §7): the voters outside every single
/// region must still form a majority of all voters. 3 voters need regions 1-1-1; 5 voters 2-2-1 (or wider).
///
/// A pure function over ids and region names, so the membership-change path, the bootstrap check and the
/// operator tools all judge placement the same way.
public struct VoterPlacement: Sendable, Equatable, CustomStringConvertible {
    /// Voter count per region.
    public let votersByRegion: [String: Int]
    public let voterCount: Int

    public init(regions: [NodeID: String]) {
        var counts: [String: Int] = [:]
        for region in regions.values { counts[region, default: 0] += 1 }
        votersByRegion = counts
        voterCount = regions.count
    }

    /// Votes needed for a decision.
    public var quorum: Int { voterCount / 2 + 1 }

    /// The regions whose loss alone would leave fewer than a quorum of voters.
    public var criticalRegions: [String] {
        votersByRegion.filter { voterCount - $0.value < quorum }.keys.sorted()
    }

    /// True when losing any one region keeps a quorum.
    public var survivesAnyRegionLoss: Bool { criticalRegions.isEmpty }

    public var description: String {
        let spread = votersByRegion.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        return "\(voterCount) voters (\(spread)), quorum \(quorum)"
    }

    /// Why a placement is refused, in words an operator can act on; nil when it is acceptable.
    public var refusal: String? {
        guard !survivesAnyRegionLoss else { return nil }
        let regions = criticalRegions.joined(separator: ", ")
        return "losing region \(regions) would lose the quorum: \(description). Spread voters so that no region holds "
            + "\(voterCount - quorum + 1) or more of \(voterCount) (3 voters: one per region; 5 voters: 2-2-1), or force the change."
    }
}
