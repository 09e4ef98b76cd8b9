import Synchronization

/// A frame received from a verified peer.
public struct PeerInboundFrame: Sendable {
    public let from: TransportPeerID
    public let payload: [UInt8]
}

/// The buffer between the event loops that receive frames and the one task that consumes them, bounded
/// in frames and bytes: a slow consumer makes the transport drop (and count) frames instead of growing
/// without limit. `AsyncStream` bounds only the count, and frames can be up to `maxFrameBytes` each.
final class PeerInboundBuffer: Sendable {
    private struct State {
        /// Two stacks make a FIFO queue with O(1) amortised push and pop.
        var incoming: [PeerInboundFrame] = []
        var outgoing: [PeerInboundFrame] = []
        var bufferedBytes = 0
        var waiter: CheckedContinuation<PeerInboundFrame?, Never>?
        var isFinished = false

        var count: Int { incoming.count + outgoing.count }

        mutating func pop() -> PeerInboundFrame? {
            if outgoing.isEmpty {
                outgoing = incoming.reversed()
                incoming.removeAll()
            }
            guard let frame = outgoing.popLast() else { return nil }
            bufferedBytes -= frame.payload.count
            return frame
        }
    }

    private let state = Mutex(State())
    let maxFrames: Int
    let maxBytes: Int

    init(maxFrames: Int, maxBytes: Int) {
        precondition(maxFrames >= 1 && maxBytes >= 1, "inbound bounds must be positive")
        self.maxFrames = maxFrames
        self.maxBytes = maxBytes
    }

    /// Hands `frame` to the consumer or buffers it; returns false if it was dropped (full, or finished).
    func push(_ frame: PeerInboundFrame) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<PeerInboundFrame?, Never>?) in
            guard !state.isFinished else { return (false, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (true, waiter)
            }
            guard state.count < maxFrames, state.bufferedBytes + frame.payload.count <= maxBytes else {
                return (false, nil)
            }
            state.incoming.append(frame)
            state.bufferedBytes += frame.payload.count
            return (true, nil)
        }
        waiter?.resume(returning: frame)
        return accepted
    }

    /// Ends the sequence once the buffered frames are consumed.
    func finish() {
        let waiter = state.withLock { state in
            state.isFinished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next frame, or `nil` when finished (or the waiting task was cancelled).
    func next() async -> PeerInboundFrame? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> PeerInboundFrame?? in
                    if let frame = state.pop() { return .some(frame) }
                    if state.isFinished || Task.isCancelled { return .some(nil) }
                    precondition(state.waiter == nil, "inboundFrames has a single consumer")
                    state.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}

/// The frames received from all peers, in arrival order per connection. Iterate it from one task.
public struct PeerInboundFrames: AsyncSequence, Sendable {
    let buffer: PeerInboundBuffer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: PeerInboundBuffer
        public mutating func next() async -> PeerInboundFrame? { await buffer.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}
