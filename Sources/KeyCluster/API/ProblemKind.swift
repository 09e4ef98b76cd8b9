/// Problem `type`s are `urn:keycluster:problem:` and a kebab-case kind (`vehicle-not-found`): one
/// convention a client can switch on. Kinds derived from Swift enums (domain refusals, unlock denials) are
/// converted here, at the HTTP layer, so their stored and replicated raw values stay as they are.
enum ProblemKind {
    /// The kinds the HTTP layer names literally (`Problem("…", …)`); a test reads the sources and checks
    /// none is missing, so the OpenAPI document's list (`all`) is complete.
    static let literal: [String] = [
        "address-in-use", "backup-failed", "backup-in-progress", "backup-no-space", "backup-unavailable",
        "bad-signature",
        "behind-min-revision", "certificate-expired", "change-not-yet", "change-outcome-unknown", "change-pending",
        "change-refused", "incomplete-body", "invalid-body", "invalid-certificate", "invalid-key", "invalid-key-id",
        "invalid-member", "invalid-query", "invalid-reason", "invalid-vin", "key-share-full", "leadership-transfer",
        "learner-lagging", "method-not-allowed", "no-fresh-state", "no-leader", "no-space", "node-stopped",
        "not-a-member",
        "not-a-signing-certificate", "not-found", "not-leader", "not-ready", "operator-required", "outcome-unknown",
        "overloaded", "placement-refused", "read-not-allowed", "refused", "replayed-nonce", "request-timeout",
        "signer-withdrawn", "stale-request", "storage-failed", "storage-out-of-space", "too-large", "transfer-refused",
        "transfer-timed-out", "unauthenticated", "unknown-action", "unknown-key", "unknown-revision",
        "unsigned-request",
        "vehicle-not-found", "withdrawal-refused",
    ]

    /// Every kind an answer can carry, sorted: the literal ones, every domain refusal and unlock denial.
    static var all: [String] {
        Set(
            literal + DomainRefusal.Code.allCases.map(\.problemKind)
                + AuthorizationDecision.Denial.allCases.map(\.problemKind)
        ).sorted()
    }

    /// `vehicleNotFound` → `vehicle-not-found`.
    static func kebabCase(_ camelCase: String) -> String {
        var kind = ""
        for character in camelCase {
            if character.isUppercase {
                if !kind.isEmpty { kind.append("-") }
                kind.append(contentsOf: character.lowercased())
            } else {
                kind.append(character)
            }
        }
        return kind
    }

    /// Lowercase ASCII letters and digits in words joined by single hyphens.
    static func isKebabCase(_ kind: String) -> Bool {
        let words = kind.split(separator: "-", omittingEmptySubsequences: false)
        return !words.isEmpty
            && words.allSatisfy { word in
                !word.isEmpty && word.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
            }
    }
}

extension DomainRefusal.Code {
    /// The problem kind of this refusal (`keyAlreadyGranted` → `key-already-granted`).
    var problemKind: String { ProblemKind.kebabCase(rawValue) }
}

extension AuthorizationDecision.Denial {
    /// The problem kind of this unlock denial (`noGrant` → `denied-no-grant`).
    var problemKind: String { "denied-" + ProblemKind.kebabCase(rawValue) }
}
