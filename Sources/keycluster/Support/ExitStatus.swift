/// The exit statuses every `keycluster` command uses, so a script can tell what to do next without parsing
/// text (README "Exit statuses"). ArgumentParser's own 64 (usage) is kept for a mistyped command line.
enum ExitStatus: Int32, Sendable {
    /// Done.
    case success = 0
    /// A problem on this machine: a file missing or unreadable, a certificate that does not parse, a port in
    /// use, a flag value the command cannot use. Fix it locally; the cluster was not asked, or not changed.
    case localProblem = 1
    /// The cluster answered and refused: bad input, not allowed, not found, a conflict. Retrying the same
    /// request will fail the same way.
    case refused = 2
    /// The cluster could not answer: no member reachable, no leader (quorum lost), or overloaded. Retrying
    /// later may succeed; the hint says what is missing.
    case unavailable = 3
    /// `cluster status`: the cluster answers but is degraded (a member unreachable, stopped, or lagging).
    case degraded = 4
    /// `token verify`: the token (or key list) is not valid for this vehicle and command.
    case invalidToken = 5
    /// The command line itself is wrong (ArgumentParser's EX_USAGE); usage is printed.
    case usage = 64

    /// The name used in `--json` error documents.
    var name: String {
        switch self {
        case .success: "success"
        case .localProblem: "local-problem"
        case .refused: "refused"
        case .unavailable: "unavailable"
        case .degraded: "degraded"
        case .invalidToken: "invalid-token"
        case .usage: "usage"
        }
    }
}
