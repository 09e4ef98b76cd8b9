import NIOCore
import TestSupport
import Testing

@testable import RaftTransport

@Suite("Peer frame decoder under random input")
struct PeerFrameDecoderFuzzTests {
    /// Small, so random lengths land on both sides of the bound often.
    static let maxFrameBytes = 256
    static let iterations = 20_000
    /// The largest chunk the harness appends at once, standing in for one socket read.
    static let maxChunkBytes = 64

    @Test("random and mutated byte streams never crash the decoder nor make it hold more than one frame")
    func randomStreams() throws {
        let seed = TestSeed.make("peer frame decoder fuzz")
        var random = SeededGenerator(seed: seed)
        var decodedFrames = 0
        var rejectedStreams = 0
        for _ in 0..<Self.iterations {
            let (stream, _) = Self.randomStream(using: &random)
            switch try Self.feed(stream, using: &random) {
            case .success(let payloads): decodedFrames += payloads.count
            case .failure: rejectedStreams += 1
            }
        }
        // Both outcomes must be exercised, or the generator has stopped testing anything.
        #expect(decodedFrames > 0, "seed \(seed)")
        #expect(rejectedStreams > 0, "seed \(seed)")
    }

    @Test("a stream of valid frames decodes to exactly the payloads sent, however it is split")
    func validStreamsRoundTrip() throws {
        let seed = TestSeed.make("peer frame round trip")
        var random = SeededGenerator(seed: seed)
        for _ in 0..<2_000 {
            let payloads = (0..<Int.random(in: 0...8, using: &random)).map { _ in
                Self.randomBytes(count: Int.random(in: 0...(Self.maxFrameBytes - 1), using: &random), using: &random)
            }
            var stream: [UInt8] = []
            for payload in payloads {
                stream += Array(
                    buffer: PeerFrameFormat.encode(
                        payload: payload, maxFrameBytes: Self.maxFrameBytes, allocator: ByteBufferAllocator()))
            }
            let decoded = try Self.feed(stream, using: &random)
            #expect(try decoded.get() == payloads, "seed \(seed)")
        }
    }

    /// Feeds `stream` to the decoder in random chunks, as a connection would; returns the payloads, or the
    /// error that would close the connection. Checks the bounds after every step.
    static func feed(
        _ stream: [UInt8], using random: inout SeededGenerator
    ) throws -> Result<[[UInt8]], PeerFrameError> {
        var buffer = ByteBuffer()
        var payloads: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            let chunk = min(stream.count - offset, Int.random(in: 1...maxChunkBytes, using: &random))
            buffer.writeBytes(stream[offset..<(offset + chunk)])
            offset += chunk
            while true {
                let payload: [UInt8]?
                do {
                    payload = try PeerFrameFormat.decode(from: &buffer, maxFrameBytes: maxFrameBytes)
                } catch {
                    return .failure(error)
                }
                guard let payload else { break }
                #expect(payload.count + 1 <= maxFrameBytes)
                payloads.append(payload)
            }
            // What waits for more data is at most one incomplete frame: the bound `ByteToMessageHandler`
            // is given, so the decoder never makes a connection hold more.
            #expect(buffer.readableBytes <= PeerFrameFormat.lengthPrefixBytes + maxFrameBytes)
        }
        return .success(payloads)
    }

    /// A stream of valid frames, then mutated: flipped bytes, truncation, inserted junk, or pure noise.
    static func randomStream(using random: inout SeededGenerator) -> ([UInt8], isPristine: Bool) {
        if Int.random(in: 0..<10, using: &random) == 0 {
            return (randomBytes(count: Int.random(in: 0...512, using: &random), using: &random), false)
        }
        var stream: [UInt8] = []
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            let payload = randomBytes(count: Int.random(in: 0...(maxFrameBytes - 1), using: &random), using: &random)
            stream += Array(
                buffer: PeerFrameFormat.encode(
                    payload: payload, maxFrameBytes: maxFrameBytes, allocator: ByteBufferAllocator()))
        }
        let mutations = Int.random(in: 0...3, using: &random)
        for _ in 0..<mutations where !stream.isEmpty {
            let index = Int.random(in: 0..<stream.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: stream[index] = UInt8.random(in: 0 ... .max, using: &random)
            case 1: stream.removeSubrange(index...)
            case 2:
                stream.insert(
                    contentsOf: randomBytes(count: Int.random(in: 1...8, using: &random), using: &random), at: index)
            default:
                // A length prefix just past the bound, or enormous: the decoder must refuse before the body.
                let length = Bool.random(using: &random) ? UInt32(maxFrameBytes + 1) : UInt32.max
                stream.insert(contentsOf: withUnsafeBytes(of: length.bigEndian, Array.init), at: index)
            }
        }
        return (stream, mutations == 0)
    }

    static func randomBytes(count: Int, using random: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0 ... .max, using: &random) }
    }
}
