import RaftCore

/// Encodes `Message`s for the wire and decodes them from peers, in the protobuf layout of `raft.proto`.
///
/// Decoding trusts nothing: every field is type- and range-checked, and a message that does not fit the
/// schema throws `WireError` (the transport then drops the frame and logs). Semantic checks — whether an
/// append is contiguous, whether a term is stale — stay with the core, which refuses such messages itself.
public enum MessageCodec {
    /// Field numbers of the `Message` envelope; bodies are a `oneof` from 10 on.
    private enum Field: UInt32 {
        case from = 1, to = 2, term = 3
        case appendEntries = 10, appendEntriesResponse = 11, heartbeat = 12, heartbeatResponse = 13
        case requestVote = 14, requestVoteResponse = 15, forwardedProposal = 16
        case installSnapshotChunk = 17, readIndexRequest = 18, readIndexResponse = 19, timeoutNow = 20
    }

    public static func encode(_ message: Message) -> [UInt8] {
        var writer = WireWriter()
        writer.uint(Field.from.rawValue, message.from.rawValue)
        writer.uint(Field.to.rawValue, message.to.rawValue)
        writer.uint(Field.term.rawValue, message.term)
        switch message.body {
        case .appendEntries(let append):
            writer.message(Field.appendEntries.rawValue) { body in
                body.message(1) { $0.position(append.previous) }
                for entry in append.entries { body.message(2) { $0.entry(entry) } }
                body.uint(3, append.leaderCommit)
            }
        case .appendEntriesResponse(let response):
            writer.message(Field.appendEntriesResponse.rawValue) { body in
                body.uint(1, response.matchIndex)
                body.uint(2, response.rejectedIndex)
                body.message(3) { $0.position(response.conflictHint) }
                body.bool(4, response.isRejected)
            }
        case .heartbeat(let heartbeat):
            writer.message(Field.heartbeat.rawValue) { body in
                body.uint(1, heartbeat.commit)
                body.uint(2, heartbeat.readRound)
            }
        case .heartbeatResponse(let response):
            writer.message(Field.heartbeatResponse.rawValue) { $0.uint(1, response.readRound) }
        case .requestVote(let request):
            writer.message(Field.requestVote.rawValue) { body in
                body.bool(1, request.kind == .preVote)
                body.message(2) { $0.position(request.lastLog) }
                body.bool(3, request.isLeadershipTransfer)
            }
        case .requestVoteResponse(let response):
            writer.message(Field.requestVoteResponse.rawValue) { body in
                body.bool(1, response.kind == .preVote)
                body.bool(2, response.granted)
            }
        case .forwardedProposal(let proposal):
            writer.message(Field.forwardedProposal.rawValue) { body in
                for payload in proposal.payloads { body.bytes(1, payload) }
            }
        case .installSnapshotChunk(let chunk):
            writer.message(Field.installSnapshotChunk.rawValue) { body in
                body.message(1) { metadata in
                    metadata.position(chunk.metadata.position)
                    metadata.bytes(3, chunk.metadata.configuration.encoded)
                }
                body.uint(2, UInt64(chunk.offset))
                body.bytes(3, chunk.data)
                body.bool(4, chunk.isLast)
            }
        case .readIndexRequest(let request):
            writer.message(Field.readIndexRequest.rawValue) { $0.uint(1, request.context) }
        case .readIndexResponse(let response):
            writer.message(Field.readIndexResponse.rawValue) { body in
                body.uint(1, response.context)
                body.bool(2, response.index != nil)
                body.uint(3, response.index ?? 0)
            }
        case .timeoutNow:
            writer.message(Field.timeoutNow.rawValue) { _ in }
        }
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> Message {
        try decode(bytes[...])
    }

    /// Decodes the message in `bytes` (a frame's payload after its cluster id, without a copy).
    public static func decode(_ bytes: ArraySlice<UInt8>) throws -> Message {
        var from: UInt64?
        var to: UInt64?
        var term: Term = 0
        var body: MessageBody?
        var reader = WireReader(bytes)
        try reader.forEachField { field, value in
            switch Field(rawValue: field) {
            case .from: from = try value.uint("from")
            case .to: to = try value.uint("to")
            case .term: term = try value.uint("term")
            case .appendEntries: body = .appendEntries(try decodeAppend(value.message("append_entries")))
            case .appendEntriesResponse:
                body = .appendEntriesResponse(try decodeAppendResponse(value.message("append_entries_response")))
            case .heartbeat: body = .heartbeat(try decodeHeartbeat(value.message("heartbeat")))
            case .heartbeatResponse:
                body = .heartbeatResponse(try decodeHeartbeatResponse(value.message("heartbeat_response")))
            case .requestVote: body = .requestVote(try decodeVoteRequest(value.message("request_vote")))
            case .requestVoteResponse:
                body = .requestVoteResponse(try decodeVoteResponse(value.message("request_vote_response")))
            case .forwardedProposal: body = .forwardedProposal(try decodeForwarded(value.message("forwarded_proposal")))
            case .installSnapshotChunk:
                body = .installSnapshotChunk(try decodeSnapshotChunk(value.message("install_snapshot_chunk")))
            case .readIndexRequest:
                body = .readIndexRequest(
                    ReadIndexRequest(context: try decodeSingleUInt(value.message("read_index_request"))))
            case .readIndexResponse:
                body = .readIndexResponse(try decodeReadIndexResponse(value.message("read_index_response")))
            case .timeoutNow:
                _ = try value.bytes("timeout_now")
                body = .timeoutNow
            case nil: break
            }
        }
        // Member ids start at 1 (configuration refuses 0); 0 is also what an omitted field would mean.
        guard let from, from != 0 else { throw WireError.missingField("from") }
        guard let to, to != 0 else { throw WireError.missingField("to") }
        guard let body else { throw WireError.missingField("body") }
        return Message(from: NodeID(from), to: NodeID(to), term: term, body: body)
    }

    private static func decodeAppend(_ reader: WireReader) throws -> AppendEntries {
        var reader = reader
        var previous = LogPosition.origin
        var entries: [Entry] = []
        var commit: LogIndex = 0
        try reader.forEachField { field, value in
            switch field {
            case 1: previous = try decodePosition(value.message("previous"))
            case 2: entries.append(try decodeEntry(value.message("entries")))
            case 3: commit = try value.uint("leader_commit")
            default: break
            }
        }
        return AppendEntries(previous: previous, entries: entries, leaderCommit: commit)
    }

    private static func decodeAppendResponse(_ reader: WireReader) throws -> AppendEntriesResponse {
        var reader = reader
        var response = AppendEntriesResponse.accepted(matchIndex: 0)
        try reader.forEachField { field, value in
            switch field {
            case 1: response.matchIndex = try value.uint("match_index")
            case 2: response.rejectedIndex = try value.uint("rejected_index")
            case 3: response.conflictHint = try decodePosition(value.message("conflict_hint"))
            case 4: response.isRejected = try value.bool("rejected")
            default: break
            }
        }
        return response
    }

    private static func decodeHeartbeat(_ reader: WireReader) throws -> Heartbeat {
        var reader = reader
        var heartbeat = Heartbeat(commit: 0)
        try reader.forEachField { field, value in
            switch field {
            case 1: heartbeat.commit = try value.uint("commit")
            case 2: heartbeat.readRound = try value.uint("read_round")
            default: break
            }
        }
        return heartbeat
    }

    private static func decodeHeartbeatResponse(_ reader: WireReader) throws -> HeartbeatResponse {
        HeartbeatResponse(readRound: try decodeSingleUInt(reader))
    }

    /// A message whose only field is varint 1 (read contexts, read rounds).
    private static func decodeSingleUInt(_ reader: WireReader) throws -> UInt64 {
        var reader = reader
        var value: UInt64 = 0
        try reader.forEachField { field, wire in
            if field == 1 { value = try wire.uint("value") }
        }
        return value
    }

    private static func decodeReadIndexResponse(_ reader: WireReader) throws -> ReadIndexResponse {
        var reader = reader
        var context: ReadContext = 0
        var granted = false
        var index: LogIndex = 0
        try reader.forEachField { field, value in
            switch field {
            case 1: context = try value.uint("context")
            case 2: granted = try value.bool("granted")
            case 3: index = try value.uint("index")
            default: break
            }
        }
        return ReadIndexResponse(context: context, index: granted ? index : nil)
    }

    private static func decodeSnapshotChunk(_ reader: WireReader) throws -> InstallSnapshotChunk {
        var reader = reader
        var metadata: SnapshotMetadata?
        var offset: UInt64 = 0
        var data: [UInt8] = []
        var isLast = false
        try reader.forEachField { field, value in
            switch field {
            case 1: metadata = try decodeSnapshotMetadata(value.message("metadata"))
            case 2: offset = try value.uint("offset")
            case 3: data = Array(try value.bytes("data"))
            case 4: isLast = try value.bool("last")
            default: break
            }
        }
        guard let metadata else { throw WireError.missingField("metadata") }
        guard offset <= UInt64(Int.max) else { throw WireError.invalidValue(field: "offset", reason: "too large") }
        return InstallSnapshotChunk(metadata: metadata, offset: Int(offset), data: data, isLast: isLast)
    }

    private static func decodeSnapshotMetadata(_ reader: WireReader) throws -> SnapshotMetadata {
        var reader = reader
        var position = LogPosition.origin
        var configuration: MembershipConfiguration?
        try reader.forEachField { field, value in
            switch field {
            case 1: position.index = try value.uint("index")
            case 2: position.term = try value.uint("term")
            case 3:
                guard let decoded = MembershipConfiguration(decoding: Array(try value.bytes("configuration"))) else {
                    throw WireError.invalidValue(field: "configuration", reason: "malformed")
                }
                configuration = decoded
            default: break
            }
        }
        guard let configuration else { throw WireError.missingField("configuration") }
        return SnapshotMetadata(index: position.index, term: position.term, configuration: configuration)
    }

    private static func decodeVoteRequest(_ reader: WireReader) throws -> VoteRequest {
        var reader = reader
        var preVote = false
        var lastLog = LogPosition.origin
        var transfer = false
        try reader.forEachField { field, value in
            switch field {
            case 1: preVote = try value.bool("pre_vote")
            case 2: lastLog = try decodePosition(value.message("last_log"))
            case 3: transfer = try value.bool("leadership_transfer")
            default: break
            }
        }
        return VoteRequest(kind: preVote ? .preVote : .vote, lastLog: lastLog, isLeadershipTransfer: transfer)
    }

    private static func decodeVoteResponse(_ reader: WireReader) throws -> VoteResponse {
        var reader = reader
        var preVote = false
        var granted = false
        try reader.forEachField { field, value in
            switch field {
            case 1: preVote = try value.bool("pre_vote")
            case 2: granted = try value.bool("granted")
            default: break
            }
        }
        return VoteResponse(kind: preVote ? .preVote : .vote, granted: granted)
    }

    private static func decodeForwarded(_ reader: WireReader) throws -> ForwardedProposal {
        var reader = reader
        var payloads: [[UInt8]] = []
        try reader.forEachField { field, value in
            if field == 1 { payloads.append(Array(try value.bytes("payloads"))) }
        }
        return ForwardedProposal(payloads: payloads)
    }

    private static func decodePosition(_ reader: WireReader) throws -> LogPosition {
        var reader = reader
        var position = LogPosition.origin
        try reader.forEachField { field, value in
            switch field {
            case 1: position.index = try value.uint("index")
            case 2: position.term = try value.uint("term")
            default: break
            }
        }
        return position
    }

    private static func decodeEntry(_ reader: WireReader) throws -> Entry {
        var reader = reader
        var index: LogIndex = 0
        var term: Term = 0
        var rawKind: UInt64 = 0  // proto3 omits zero, so an absent kind is kind 0
        var payload: [UInt8] = []
        try reader.forEachField { field, value in
            switch field {
            case 1: index = try value.uint("entry.index")
            case 2: term = try value.uint("entry.term")
            case 3: rawKind = try value.uint("entry.kind")
            case 4: payload = Array(try value.bytes("entry.payload"))
            default: break
            }
        }
        guard rawKind <= UInt64(UInt8.max), let kind = EntryKind(rawValue: UInt8(rawKind)) else {
            throw WireError.invalidValue(field: "entry.kind", reason: "unknown kind \(rawKind)")
        }
        return Entry(index: index, term: term, kind: kind, payload: payload)
    }
}

extension WireWriter {
    mutating func position(_ position: LogPosition) {
        uint(1, position.index)
        uint(2, position.term)
    }

    mutating func entry(_ entry: Entry) {
        uint(1, entry.index)
        uint(2, entry.term)
        uint(3, UInt64(entry.kind.rawValue))
        if !entry.payload.isEmpty { bytes(4, entry.payload) }
    }
}
