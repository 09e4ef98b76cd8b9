import Foundation
import Logging
import NIOCore

/// What connection handlers tell the transport, from their event loops. Each is one short critical section.
extension PeerTransport {
    /// Records a newly opened connection; false (close it) when shut down or at `maxOpenConnections`.
    func registerOpenChannel(_ channel: Channel) -> Bool {
        state.withLock { state in
            guard state.isRunning, state.openChannels.count < limits.maxOpenConnections else { return false }
            state.openChannels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    /// Logs a warning about a refused or broken connection, within `maxConnectionWarningsPerSecond`.
    func connectionWarning(_ logger: Logger, _ message: Logger.Message, metadata: Logger.Metadata = [:]) {
        let (admitted, suppressed) = state.withLock { $0.connectionWarnings.admit(now: ContinuousClock.now) }
        guard admitted else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressedWarnings"] = "\(suppressed)" }
        logger.warning(message, metadata: metadata)
    }

    func countRefusedConnection() {
        state.withLock { $0.connectionsRefused += 1 }
    }

    func countBadFrames() {
        state.withLock { $0.connectionsClosedForBadFrames += 1 }
    }

    /// Why an authenticated node may not use an accepted connection, or `nil` if it may.
    func inboundRefusal(from peer: TransportPeerID) -> String? {
        state.withLock { state in
            if state.links[peer] == nil { return "node \(peer) is not a configured peer" }
            if peer < localID { return nil }
            return "node \(peer) must wait to be dialed by node \(localID) (the lower id dials)"
        }
    }

    /// Makes `channel` the link's connection; an older one is closed (the peer restarted, or the old
    /// connection died without us noticing yet). False when the link no longer wants it: shut down,
    /// peer removed, or — for a dial — a dial of an older configuration of the link.
    func connectionVerified(peer: TransportPeerID, channel: Channel, dialGeneration: UInt64?) -> Bool {
        let (accepted, replaced) = state.withLock { state -> (Bool, Channel?) in
            guard state.isRunning else { return (false, nil) }
            return state.withLink(peer) { link -> (Bool, Channel?) in
                if let dialGeneration, dialGeneration != link.generation { return (false, nil) }
                let replaced = link.channel
                link.channel = channel
                link.status.isConnected = true
                link.status.connectionsEstablished += 1
                link.status.lastConnectedAt = Date()
                if replaced == nil { linkEventsContinuation.yield(.connected(peer)) }
                // Frames queued for the replaced connection stay queued and go out on this one.
                link.isDrainScheduled = !link.queue.isEmpty
                return (true, replaced)
            } ?? (false, nil)
        }
        if let replaced, replaced !== channel {
            logger.info("replacing older connection", metadata: ["peer": "\(peer)"])
            replaced.close(promise: nil)
        }
        return accepted
    }

    /// Forgets a closed connection. Frames still queued for the peer are dropped if it was the link's current
    /// connection: they would be stale by the time a new one is up.
    func connectionClosed(_ channel: Channel, peer: TransportPeerID?) {
        state.withLock { state in
            state.openChannels[ObjectIdentifier(channel)] = nil
            guard let peer else { return }
            state.withLink(peer) { link in
                guard link.channel === channel else { return }
                link.channel = nil
                link.isDrainScheduled = false
                link.status.isConnected = false
                link.status.framesDroppedNotConnected += UInt64(link.queue.removeAll())
                linkEventsContinuation.yield(.disconnected(peer))
            }
        }
    }

    /// The next frame to write on `channel` for `peer`, control lane first; `nil` when there is none (or the
    /// channel is no longer the link's), which also ends the drain so the next `send` schedules another.
    func nextOutboundFrame(peer: TransportPeerID, channel: Channel) -> ByteBuffer? {
        state.withLock { state in
            state.withLink(peer) { link -> ByteBuffer? in
                guard link.channel === channel else { return nil }
                guard let frame = link.queue.dequeue() else {
                    link.isDrainScheduled = false
                    return nil
                }
                link.status.framesSent += 1
                return frame
            } ?? .none
        }
    }

    /// The channel stopped being writable: the drain ends, and resumes when it is writable again.
    func drainPaused(peer: TransportPeerID, channel: Channel) {
        state.withLock { state in
            _ = state.withLink(peer) { link in
                if link.channel === channel { link.isDrainScheduled = false }
            }
        }
    }

    /// Hands a received frame to the consumer, or drops and counts it when the consumer is behind.
    func deliver(from peer: TransportPeerID, payload: [UInt8]) {
        let accepted = inbound.push(PeerInboundFrame(from: peer, payload: payload))
        state.withLock { state in
            _ = state.withLink(peer) { link in
                if accepted { link.status.framesReceived += 1 } else { link.status.framesDroppedInbound += 1 }
                // A frame proves the other side accepted the connection too (in TLS 1.3 the dialer's handshake
                // ends before the server has checked the dialer), so only now does the redial backoff reset:
                // a peer that keeps refusing us is redialed ever more slowly, not every initial delay.
                link.dialAttempt = 0
            }
        }
    }
}
