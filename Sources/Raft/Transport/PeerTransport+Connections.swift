import Foundation
import Logging
import NIOCore

/// What connection handlers tell the transport, from their event loops. Each is one short critical section.
extension PeerTransport {
    /// Records a newly opened connection: a dial (`inboundFrom` nil) always while running; an inbound one
    /// within the unverified budgets (`PeerConnectionAdmission`), possibly in place of an older silent one,
    /// which is then closed. Returns why the connection must be closed instead, or nil.
    func registerOpenChannel(_ channel: Channel, inboundFrom source: PeerConnectionSource?, logger: Logger) -> Logger
        .Message?
    {
        let id = ObjectIdentifier(channel)
        let (refusal, victim) = state.withLock { state -> (Logger.Message?, Channel?) in
            guard state.isRunning else { return ("refusing connection: shutting down", nil) }
            guard let source else {
                state.openChannels[id] = channel
                return (nil, nil)
            }
            switch state.unverified.admit(id, from: source) {
            case .refuse(let perSource):
                return (
                    perSource
                        ? "refusing connection: this source's unverified connections are all handshaking (maxUnverifiedConnectionsPerSource)"
                        : "refusing connection: the unverified connections are all handshaking (maxUnverifiedConnections)",
                    nil
                )
            case .admit:
                state.openChannels[id] = channel
                return (nil, nil)
            case .admitEvicting(let victim):
                state.openChannels[id] = channel
                state.connectionsEvicted += 1
                assert(state.openChannels[victim] != nil, "an admitted connection is open until it is closed")
                return (nil, state.openChannels[victim])
            }
        }
        if let victim {
            warnRateLimited(
                .connection, logger,
                "closing the oldest silent unverified connection to admit a new one (the unverified budget is full)",
                metadata: ["source": "\(source.map { "\($0)" } ?? "?")"])
            victim.pipeline.fireUserInboundEventTriggered(PeerEvictionRequest())
        }
        return refusal
    }

    /// An inbound connection sent its first bytes: it is handshaking, so no newer connection evicts it.
    func inboundConnectionSpoke(_ channel: Channel) {
        state.withLock { $0.unverified.spoke(ObjectIdentifier(channel)) }
    }

    /// Logs a line that anyone (strangers: `.connection`) or a broken member (`.frame`) could cause at any
    /// rate, within that kind's lines per second (`maxConnectionWarningsPerSecond`, `maxFrameWarningsPerSecond`);
    /// the first line after some were suppressed says how many.
    package func warnRateLimited(
        _ kind: PeerWarningKind, _ logger: Logger, _ message: Logger.Message, metadata: Logger.Metadata = [:],
        level: Logger.Level = .warning
    ) {
        let now = ContinuousClock.now
        let (admitted, suppressed) = state.withLock { state in
            switch kind {
            case .connection: state.connectionWarnings.admit(now: now)
            case .frame: state.frameWarnings.admit(now: now)
            }
        }
        guard admitted else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressedLines"] = "\(suppressed)" }
        logger.log(level: level, message, metadata: metadata)
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
            let verdict =
                state.withLink(peer) { link -> (Bool, Channel?) in
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
            // A verified member holds no unverified slot: strangers cannot crowd it out.
            if verdict.0 { state.unverified.remove(ObjectIdentifier(channel)) }
            return verdict
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
            state.unverified.remove(ObjectIdentifier(channel))
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
