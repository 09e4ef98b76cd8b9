import RaftCore
import RaftWire
import TestSupport
import Testing

@Suite("Raft wire codec")
struct MessageCodecTests {
    static let samples: [Message] = {
        let entries = [
            Entry(index: 5, term: 2, kind: .empty),
            Entry(index: 6, term: 2, kind: .normal, payload: [1, 2, 3]),
            Entry(index: 7, term: 3, kind: .configChange, payload: Array(repeating: 0xFF, count: 300)),
        ]
        let bodies: [MessageBody] = [
            .appendEntries(AppendEntries(previous: LogPosition(index: 4, term: 2), entries: entries, leaderCommit: 5)),
            .appendEntries(AppendEntries(previous: .origin, entries: [], leaderCommit: 0)),
            .appendEntriesResponse(.accepted(matchIndex: 7)),
            .appendEntriesResponse(.rejected(index: 9, hint: LogPosition(index: 6, term: 2))),
            .heartbeat(Heartbeat(commit: 1 << 40, readRound: 9)),
            .heartbeatResponse(HeartbeatResponse(readRound: 9)),
            .requestVote(VoteRequest(kind: .preVote, lastLog: LogPosition(index: 7, term: 3))),
            .requestVote(VoteRequest(kind: .vote, lastLog: LogPosition(index: 7, term: 3), isLeadershipTransfer: true)),
            .installSnapshotChunk(
                InstallSnapshotChunk(
                    metadata: SnapshotMetadata(
                        index: 90, term: 4,
                        configuration: MembershipConfiguration(
                            voters: [NodeID(1), NodeID(2), NodeID(3)], learners: [NodeID(4)],
                            regions: [NodeID(1): "eu-west"])),
                    offset: 1 << 20, data: Array(repeating: 3, count: 500), isLast: true)),
            .readIndexRequest(ReadIndexRequest(context: 77)),
            .readIndexResponse(ReadIndexResponse(context: 77, index: 0)),
            .readIndexResponse(ReadIndexResponse(context: 78, index: nil)),
            .timeoutNow,
            .requestVote(VoteRequest(kind: .vote, lastLog: .origin)),
            .requestVoteResponse(VoteResponse(kind: .preVote, granted: true)),
            .requestVoteResponse(VoteResponse(kind: .vote, granted: false)),
            .forwardedProposal(ForwardedProposal(payloads: [[], [9], Array(repeating: 7, count: 1_000)])),
        ]
        return bodies.map { Message(from: NodeID(1), to: NodeID(UInt64.max), term: 3, body: $0) }
    }()

    @Test("every message kind survives an encode/decode round trip", arguments: samples)
    func roundTrip(_ message: Message) throws {
        #expect(try MessageCodec.decode(MessageCodec.encode(message)) == message)
    }

    @Test("a message with an unknown field (from a newer peer) still decodes")
    func unknownFieldsAreSkipped() throws {
        let message = Self.samples[0]
        // Field 99, varint 7; and field 98, length-delimited "abc" — both unknown to this version.
        let extra: [UInt8] = [0x98, 0x06, 0x07, 0x92, 0x06, 0x03, 0x61, 0x62, 0x63]
        #expect(try MessageCodec.decode(MessageCodec.encode(message) + extra) == message)
    }

    @Test("a message without a body, sender or addressee is refused")
    func missingFieldsAreRefused() throws {
        #expect(throws: WireError.missingField("body")) { try MessageCodec.decode([0x08, 0x01, 0x10, 0x02]) }
        #expect(throws: WireError.missingField("from")) { try MessageCodec.decode([0x10, 0x02, 0x62, 0x00]) }
        #expect(throws: (any Error).self) { try MessageCodec.decode([0x08]) }
    }

    @Test("random and mutated inputs never crash the decoder (seeded fuzz)")
    func fuzzDecoder() throws {
        var random = SeededGenerator(seed: TestSeed.make("wire-codec-fuzz"))
        let encodedSamples = Self.samples.map(MessageCodec.encode)
        var decoded = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
            } else {
                bytes = encodedSamples[Int.random(in: 0..<encodedSamples.count, using: &random)]
                for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0:
                        bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(
                            in: 0...255, using: &random)
                    case 1: bytes.removeLast(Int.random(in: 0...bytes.count, using: &random))
                    default:
                        bytes.insert(
                            UInt8.random(in: 0...255, using: &random),
                            at: Int.random(in: 0...bytes.count, using: &random))
                    }
                }
            }
            if let message = try? MessageCodec.decode(bytes) {
                decoded += 1
                // Whatever decodes must re-encode to something that decodes to the same message.
                #expect(try MessageCodec.decode(MessageCodec.encode(message)) == message)
            }
        }
        #expect(decoded > 0, "the mutations never produced a valid message; the fuzzer is not exploring")
    }
}
