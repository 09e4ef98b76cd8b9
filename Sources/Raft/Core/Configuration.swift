/// Who votes. Kept as a sorted array, never iterated as a `Set`, so that message order — and with it
/// every simulated run — is the same for the same seed. Issue 4 adds learners and a joint
/// (outgoing) voter set here; quorum questions already go through `Quorum` so they can follow.
public struct MembershipConfiguration: Sendable, Equatable, CustomStringConvertible {
    public private(set) var voters: [NodeID]

    public init(voters: some Sequence<NodeID>) {
        self.voters = Array(Set(voters)).sorted()
        precondition(!self.voters.isEmpty, "a configuration needs at least one voter")
    }

    public func isVoter(_ id: NodeID) -> Bool {
        voters.contains(id)
    }

    public var description: String { "voters \(voters)" }
}
