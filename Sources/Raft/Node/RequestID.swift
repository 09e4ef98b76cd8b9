import RaftCore
import RaftWire

/// Names one client command for exactly-once application (Raft thesis §6.3): the client's session, and a
/// sequence number the client increases for each new command and reuses when it retries. A retried command
/// that was already applied is answered with the first result instead of being applied again — across
/// leader changes, because the session record is part of the replicated state.
///
/// A session id is the log index of the entry that registered it, so it is unique without coordination.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public var session: LogIndex
    public var sequence: UInt64

    public init(session: LogIndex, sequence: UInt64) {
        precondition(session != 0, "session 0 does not exist: sessions are named by their registration index")
        precondition(sequence != 0, "sequence numbers start at 1")
        self.session = session
        self.sequence = sequence
    }

    public var description: String { "\(session)/\(sequence)" }
}

/// What a normal log entry's payload holds: a session registration, or a command with its request id.
enum ProposalEnvelope: Equatable, Sendable {
    /// Opens a session whose id is this entry's index. `nonce` lets the proposer recognise its own
    /// registration among applied entries.
    case registerSession(nonce: UInt64)
    case command(RequestID, [UInt8])

    /// Field numbers of `ProposalEnvelope` in `raft.proto`.
    private enum Field: UInt32 {
        case session = 1
        case sequence = 2
        case command = 3
        case registrationNonce = 4
    }

    func encoded() -> [UInt8] {
        var writer = WireWriter()
        switch self {
        case .registerSession(let nonce):
            writer.uint(Field.registrationNonce.rawValue, nonce)
        case .command(let request, let command):
            writer.uint(Field.session.rawValue, request.session)
            writer.uint(Field.sequence.rawValue, request.sequence)
            writer.bytes(Field.command.rawValue, command)
        }
        return writer.bytes
    }

    init(decoding payload: [UInt8]) throws {
        var session: UInt64 = 0
        var sequence: UInt64 = 0
        var command: [UInt8] = []
        var nonce: UInt64 = 0
        var reader = WireReader(payload)
        try reader.forEachField { field, value in
            switch Field(rawValue: field) {
            case .session: session = try value.uint("session")
            case .sequence: sequence = try value.uint("sequence")
            case .command: command = Array(try value.bytes("command"))
            case .registrationNonce: nonce = try value.uint("registration_nonce")
            case nil: break
            }
        }
        if session == 0 && sequence == 0 && command.isEmpty {
            self = .registerSession(nonce: nonce)
        } else if session != 0 && sequence != 0 {
            self = .command(RequestID(session: session, sequence: sequence), command)
        } else {
            throw WireError.missingField("session and sequence")
        }
    }
}
