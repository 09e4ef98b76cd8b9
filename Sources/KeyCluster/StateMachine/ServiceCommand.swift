import Foundation
import RaftNode

/// A change to the service's replicated state: what a log entry's command bytes decode to.
///
/// JSON, because commands are small, decoded once per node, and must stay readable across versions: a
/// node of the next version adds cases without breaking this one (an unknown case is refused the same way
/// on every node, deterministically).
package enum ServiceCommand: Codable, Sendable, Equatable {
    /// A change to the key-authorization state.
    case domain(DomainCommand)
    /// Diagnostic key/value write used by the cluster tests and benchmarks; not part of the key domain.
    case debugPut(key: String, value: String)
    /// Diagnostic counter increment: applying a command twice shows up as a count above the increments made.
    case debugIncrement(key: String)
    /// A member raises or clears a storage alarm (`StorageAlarm`).
    case storageAlarm(StorageAlarmChange)
    /// An operator withdraws a token-signing certificate (`SignerWithdrawal`).
    case withdrawSigner(SignerWithdrawal)
}

extension ServiceCommand {
    /// Commands that take authority away ride the revocation lane (`ProposalLane`, design §11) — the same
    /// commands the HTTP edge admits in its revocation class (`RequestClass.revocation`).
    var proposalLane: ProposalLane {
        switch self {
        case .domain(.revoke), .domain(.suspend), .domain(.forceRevoke), .withdrawSigner: .revocation
        case .domain, .debugPut, .debugIncrement, .storageAlarm: .ordinary
        }
    }
}

/// The answer of the state machine to one command, returned to the proposer.
package enum ServiceResult: Codable, Sendable, Equatable {
    case done
    case counter(value: UInt64)
    case domain(DomainResult)
    case refused(reason: String)
    /// Refused because storage alarms stand: the cluster takes no new writes until they clear.
    case noSpace(alarms: [StorageAlarm])
}

extension ServiceCommand {
    /// The command bytes of a log entry, as `CommandProposer` proposes them: a domain command in its
    /// canonical form, the rest in `DomainCoding`'s (sorted keys too). Members of an earlier version read
    /// both, as they read any key order; this one reads their unsorted commands through `JSONDecoder`.
    package func encoded() throws -> [UInt8] {
        guard case .domain(let command) = self else { return try DomainCoding.encode(self) }
        var writer = CanonicalJSON.Writer()
        writer.wrapped("domain") { $0.field("_0", command) }
        return writer.bytes
    }

    /// What an entry's command bytes say, decided as every earlier version decides it — a key the command
    /// carries must be a P-256 point, else the command is undecodable and refused alike on every member.
    /// The fast path only reads the canonical form faster; every other form, and every error, is
    /// `JSONDecoder`'s.
    package init(decoding bytes: [UInt8]) throws {
        if let command = Self.canonicalDomainCommand(bytes) {
            self = .domain(command)
        } else {
            self = try DomainCoding.commandDecoder.decode(ServiceCommand.self, from: Data(bytes))
        }
    }

    private static func canonicalDomainCommand(_ bytes: [UInt8]) -> DomainCommand? {
        try? CanonicalJSON.Reader.read(bytes) { reader in
            try reader.wrapped("domain") { reader in
                try reader.key("_0")
                return try DomainCommand(canonical: &reader)
            }
        }
    }
}

extension ServiceResult {
    /// The answer's bytes (kept in the client sessions and returned to the proposer). `grantJSON`: the
    /// changed grant's canonical bytes when apply wrote them — spliced in, so a command encodes its grant
    /// once.
    func encoded(grantJSON: [UInt8]? = nil) throws -> [UInt8] {
        guard case .domain(let result) = self else { return try DomainCoding.encode(self) }
        var writer = CanonicalJSON.Writer(capacity: CanonicalJSON.Writer.typicalRecordBytes + (grantJSON?.count ?? 0))
        writer.wrapped("domain") { writer in
            writer.key("_0")
            if case .applied(let revision, let grant) = result, let grantJSON {
                assert(grantJSON == grant.canonicalJSON, "the spliced grant bytes are not the result's grant")
                DomainResult.writeApplied(revision: revision, to: &writer) { $0.raw(grantJSON) }
            } else {
                result.write(to: &writer)
            }
        }
        return writer.bytes
    }

    /// The state machine's answer, as the proposer reads it back.
    package init(decoding bytes: [UInt8]) throws {
        let applied = try? CanonicalJSON.Reader.read(bytes) { reader in
            try reader.wrapped("domain") { reader in
                try reader.key("_0")
                return try DomainResult(canonical: &reader)
            }
        }
        if let applied {
            self = .domain(applied)
        } else {
            self = try DomainCoding.storedDecoder.decode(ServiceResult.self, from: Data(bytes))
        }
    }
}
