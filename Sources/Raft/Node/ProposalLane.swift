/// Which share of a node's pending-proposal budget (`RaftNodeOptions.maxPendingProposals`) a proposal draws
/// on. Revocations take authority away, and the mission is that a revoked key stops working within a bound
/// whatever else the cluster is doing: ordinary writes (grants, enrolments) may fill only the budget less
/// `reservedRevocationProposals`, so a flood of them cannot keep a revocation from being offered to the
/// leader (design §11).
public enum ProposalLane: Sendable, Equatable {
    case ordinary
    case revocation
}
