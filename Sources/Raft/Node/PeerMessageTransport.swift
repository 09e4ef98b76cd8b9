import Logging
import RaftCore
import RaftTransport
import RaftWire

/// Raft messages over the mutual-TLS `PeerTransport`: encodes with `MessageCodec`, picks the lane (votes and
/// heartbeats ahead of appends), and on the way in decodes frames and drops any message whose `from` is not
/// the peer the TLS certificate proved — a member cannot speak for another — or that comes from another
/// cluster (`ClusterIDGate`: every frame carries the sender's cluster id ahead of the message).
public final class PeerMessageTransport: RaftMessageTransport {
    public let peers: PeerTransport
    public let inbound: AsyncStream<Message>
    public let unreachablePeers: AsyncStream<NodeID>
    public let clusterGate: ClusterIDGate
    private let logger: Logger
    private let pump: Task<Void, Never>
    private let linkPump: Task<Void, Never>

    /// Decoded messages waiting for the node; beyond this the oldest are dropped (Raft retransmits).
    public static let maxBufferedInboundMessages = 4_096

    /// `executor`: where frames are checked and decoded — the node's Raft thread, so a heartbeat is not
    /// read late because request work fills the shared pool (nil: wherever the runtime puts tasks).
    public init(
        peers: PeerTransport, clusterGate: ClusterIDGate, executor: RaftExecutor? = nil,
        logger: Logger = Logger(label: "keycluster.raft.wire")
    ) {
        self.peers = peers
        self.clusterGate = clusterGate
        self.logger = logger
        let (stream, continuation) = AsyncStream.makeStream(
            of: Message.self, bufferingPolicy: .bufferingNewest(Self.maxBufferedInboundMessages))
        inbound = stream
        let (unreachable, unreachableContinuation) = AsyncStream.makeStream(
            of: NodeID.self, bufferingPolicy: .bufferingNewest(Self.maxBufferedLinkEvents))
        unreachablePeers = unreachable
        let events = peers.linkEvents
        linkPump = Task(executorPreference: executor?.tasks) {
            for await event in events {
                guard case .disconnected(let peer) = event else { continue }
                unreachableContinuation.yield(NodeID(peer))
                // A region or member going away shows here first, whoever leads; the link is redialled.
                if !peers.isShutDown {
                    logger.warning(
                        "peer link down: no verified connection to this member (it is down, unreachable, or was removed); redialling",
                        metadata: ["peer": "\(peer)"])
                }
            }
            unreachableContinuation.finish()
        }
        let frames = peers.inboundFrames
        pump = Task(executorPreference: executor?.tasks) {
            for await frame in frames {
                switch clusterGate.admit(frame.payload, from: frame.from, otherMembers: peers.peerAddresses.count) {
                case .accept:
                    break
                case .adopted(let id):
                    logger.notice("joined cluster \(id) (stored)", metadata: ["link": "\(frame.from)"])
                case .foreign(let id):
                    peers.warnRateLimited(
                        .frame, logger, "dropped a frame from a member of another cluster",
                        metadata: [
                            "link": "\(frame.from)", "theirCluster": "\(id)",
                            "ourCluster": "\(clusterGate.clusterID.map { "\($0)" } ?? "none")",
                        ], level: .error)
                    if clusterGate.shouldNotify(frame.from) {
                        _ = peers.send(to: frame.from, payload: clusterGate.seal([]), lane: .control)
                    }
                    continue
                case .malformed:
                    peers.warnRateLimited(
                        .frame, logger, "dropped a frame without a usable cluster id",
                        metadata: ["link": "\(frame.from)"])
                    continue
                }
                if ClusterIDGate.isNotice(frame.payload) { continue }
                do {
                    let message = try MessageCodec.decode(frame.payload[ClusterID.byteCount...])
                    guard message.from.rawValue == frame.from, message.to.rawValue == peers.localID else {
                        // A member's bad frames come at its message rate: the lines are rate-limited.
                        peers.warnRateLimited(
                            .frame, logger, "dropped a message whose sender or addressee does not match its link",
                            metadata: ["link": "\(frame.from)", "from": "\(message.from)", "to": "\(message.to)"])
                        continue
                    }
                    continuation.yield(message)
                } catch {
                    peers.warnRateLimited(
                        .frame, logger, "dropped an undecodable frame",
                        metadata: ["link": "\(frame.from)", "error": "\(error)"])
                }
            }
            continuation.finish()
        }
    }

    /// Link-loss notices waiting for the node; only the latest matter.
    public static let maxBufferedLinkEvents = 64

    deinit {
        pump.cancel()
        linkPump.cancel()
    }

    public func send(_ messages: [Message]) {
        for message in messages {
            _ = peers.send(
                to: message.to.rawValue, payload: clusterGate.seal(MessageCodec.encode(message)),
                lane: Self.lane(of: message.body))
        }
    }

    /// Replaces the transport's peer set with `members` (this node left out). Addresses come from the replicated
    /// configuration; a member it gives none for keeps the address the transport knew (the bootstrap file).
    public func updateMembers(_ members: [NodeID], addresses: [NodeID: MemberAddresses]) {
        let known = peers.peerAddresses
        var next: [TransportPeerID: PeerAddress] = [:]
        for member in members where member.rawValue != peers.localID {
            if let text = addresses[member]?.peer, let address = PeerAddress(parsing: text) {
                next[member.rawValue] = address
            } else if let address = known[member.rawValue] {
                next[member.rawValue] = address
            } else {
                logger.warning(
                    "a member has no known peer address; it is not reached until one is",
                    metadata: ["member": "\(member)"])
            }
        }
        guard next != known else { return }
        peers.updatePeers(next)
    }

    /// Bytes of bulk messages queued for `peer` (snapshot transfers pause while this is high); `Int.max`
    /// while there is no link to `peer`, so a transfer waits instead of sending chunks that are dropped.
    public func queuedBulkBytes(to peer: NodeID) -> Int {
        peers.queuedBytes(to: peer.rawValue, lane: .bulk) ?? Int.max
    }

    /// Small, latency-critical messages go in the control lane; log-carrying ones in bulk.
    static func lane(of body: MessageBody) -> PeerTransportLane {
        switch body {
        case .appendEntries, .forwardedProposal, .installSnapshotChunk: .bulk
        case .appendEntriesResponse, .heartbeat, .heartbeatResponse, .requestVote, .requestVoteResponse,
            .readIndexRequest,
            .readIndexResponse, .timeoutNow:
            .control
        }
    }
}
