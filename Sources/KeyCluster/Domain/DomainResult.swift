/// The answer to a `DomainCommand`: applied at a revision with the grant it changed, or refused with a
/// stable code (for the HTTP layer's problem `type`) and a reason for people. A refusal changed nothing.
public enum DomainResult: Codable, Hashable, Sendable {
    case applied(revision: UInt64, grant: Grant)
    case refused(DomainRefusal)
}

public struct DomainRefusal: Error, Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Codable, Sendable, CaseIterable {
        /// The command breaks a format or range rule (bad timestamp, window, permissions for the role).
        case invalidCommand
        case vehicleExists
        case vehicleNotFound
        /// The target key has no live (non-revoked) grant on the vehicle.
        case grantNotFound
        /// The key to grant already holds a live grant on the vehicle.
        case keyAlreadyGranted
        /// The signer holds no usable grant: missing, suspended, or outside its window at the command's time.
        case signerNotAuthorized
        /// The signer's role does not manage keys.
        case notOwner
        /// The grant would give more than the signer holds (permissions or time).
        case exceedsSignerAuthority
        case guestMustExpire
        case tooManyKeys
        /// The change would leave the vehicle without an active unrestricted owner (only an operator may).
        case lastOwner
        /// The target grant is not dominated by the signer's (`Grant.dominates`): a key never acts on a
        /// grant that outranks it.
        case targetOutranksSigner
        /// The grant is not in a state the action applies to (e.g. resuming an active grant).
        case invalidTransition
        case replayedNonce
        /// A change to the same key, signed later, was already applied: this request waited too long.
        case staleRequest
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
