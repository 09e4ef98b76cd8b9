import NIOCore

/// One lane of a peer's send queue: FIFO, bounded in frames and bytes.
struct PeerFrameFIFO {
    private var frames: [ByteBuffer] = []
    /// Index of the oldest frame in `frames`; the consumed prefix is compacted away in bulk, so both
    /// appending and taking are amortised O(1).
    private var head = 0
    private(set) var queuedBytes = 0

    var count: Int { frames.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ frame: ByteBuffer) {
        frames.append(frame)
        queuedBytes += frame.readableBytes
    }

    mutating func popFirst() -> ByteBuffer? {
        guard head < frames.count else { return nil }
        let frame = frames[head]
        head += 1
        queuedBytes -= frame.readableBytes
        if head == frames.count {
            frames.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= frames.count {
            frames.removeFirst(head)
            head = 0
        }
        assert(queuedBytes >= 0, "queued bytes went negative")
        return frame
    }

    mutating func removeAll() -> Int {
        let dropped = count
        frames.removeAll()
        head = 0
        queuedBytes = 0
        return dropped
    }
}

/// A peer's two-lane send queue with the per-lane bounds of `PeerTransportLimits`.
struct PeerSendQueue {
    private var control = PeerFrameFIFO()
    private var bulk = PeerFrameFIFO()
    let maxFrames: Int
    let maxBytes: Int

    init(maxFrames: Int, maxBytes: Int) {
        precondition(maxFrames >= 1 && maxBytes >= 1, "queue bounds must be positive")
        self.maxFrames = maxFrames
        self.maxBytes = maxBytes
    }

    /// Bytes waiting in `lane`.
    func queuedBytes(in lane: PeerTransportLane) -> Int {
        switch lane {
        case .control: control.queuedBytes
        case .bulk: bulk.queuedBytes
        }
    }

    /// Queues `frame` unless its lane is full; returns whether it was queued.
    mutating func enqueue(_ frame: ByteBuffer, lane: PeerTransportLane) -> Bool {
        switch lane {
        case .control: Self.enqueue(frame, into: &control, maxFrames: maxFrames, maxBytes: maxBytes)
        case .bulk: Self.enqueue(frame, into: &bulk, maxFrames: maxFrames, maxBytes: maxBytes)
        }
    }

    private static func enqueue(_ frame: ByteBuffer, into fifo: inout PeerFrameFIFO, maxFrames: Int, maxBytes: Int)
        -> Bool
    {
        guard fifo.count < maxFrames, fifo.queuedBytes + frame.readableBytes <= maxBytes else { return false }
        fifo.append(frame)
        return true
    }

    /// The next frame to write: control first.
    mutating func dequeue() -> ByteBuffer? {
        control.popFirst() ?? bulk.popFirst()
    }

    var count: Int { control.count + bulk.count }
    var isEmpty: Bool { control.isEmpty && bulk.isEmpty }

    /// Empties both lanes (the link went down: its frames are stale); returns how many frames were dropped.
    mutating func removeAll() -> Int {
        control.removeAll() + bulk.removeAll()
    }
}
