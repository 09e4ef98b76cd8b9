import RaftTransport
import Synchronization

/// Keeps Raft messages within one cluster (design §9): every peer frame starts with the sender's
/// `ClusterID` (zeros while it has none), and a frame from a member of another cluster is dropped before it
/// is decoded. A member without an id (joining, empty data directory) adopts the first id it hears from a
/// verified peer and stores it. When most of the other members hold another id, this member is the stranger
/// (its data directory came from another cluster): `foreignMajority()` reports it so the member can stop.
///
/// A stranger mostly hears nothing back (its votes and answers are dropped), so a member that drops a
/// foreign frame answers it, at most once per `noticeInterval` per peer, with a *notice*: a frame that is
/// only its id. That is how the stranger learns what most of its peers are.
public final class ClusterIDGate: Sendable {
    /// What to do with a frame.
    public enum Verdict: Equatable, Sendable {
        /// Same cluster, or a peer without an id yet (a joining member holds no state to mix in).
        case accept
        /// This member had no id and took the peer's (now stored).
        case adopted(ClusterID)
        /// The peer belongs to another cluster: drop the frame.
        case foreign(ClusterID)
        /// The frame is too short to carry an id, or adopting the id could not be stored: drop it.
        case malformed
    }

    /// Most of the other members hold another cluster's id: this member's data is not theirs.
    public struct ForeignClusterReport: Error, Equatable, Sendable, CustomStringConvertible {
        public let local: ClusterID
        public let foreign: [TransportPeerID: ClusterID]

        public var description: String {
            let peers = foreign.keys.sorted().map { "member \($0) (cluster \(foreign[$0].map { "\($0)" } ?? "?"))" }
            return
                "this member's data belongs to cluster \(local), but \(peers.joined(separator: ", ")) belong to another: "
                + "its data directory holds another cluster's state (restored from a foreign backup, or copied). "
                + "Stop it, move the data directory aside, and add the member anew (docs/membership.md)."
        }
    }

    private struct State {
        var clusterID: ClusterID?
        /// Peers whose latest frame carried another cluster's id.
        var foreignPeers: [TransportPeerID: ClusterID] = [:]
        var foreignFrames: UInt64 = 0
        var reported = false
        /// When each foreign peer was last sent a notice.
        var lastNotice: [TransportPeerID: ContinuousClock.Instant] = [:]
    }

    /// Least time between two notices to one foreign peer.
    public static let noticeInterval: Duration = .seconds(1)

    private let state: Mutex<State>
    private let store: @Sendable (ClusterID) throws -> Void
    private let reports: AsyncStream<ForeignClusterReport>
    private let reportContinuation: AsyncStream<ForeignClusterReport>.Continuation

    /// `clusterID` is the stored id (`nil` on a joining member); `store` makes an adopted id durable.
    public init(clusterID: ClusterID?, store: @escaping @Sendable (ClusterID) throws -> Void) {
        state = Mutex(State(clusterID: clusterID))
        self.store = store
        (reports, reportContinuation) = AsyncStream.makeStream(
            of: ForeignClusterReport.self, bufferingPolicy: .bufferingNewest(1))
    }

    deinit { reportContinuation.finish() }

    /// This member's cluster id, once it has one.
    public var clusterID: ClusterID? { state.withLock { $0.clusterID } }

    /// Frames dropped because they came from another cluster.
    public var foreignFrames: UInt64 { state.withLock { $0.foreignFrames } }

    /// Whether `frame` (admitted) is a notice — an id and no message — rather than a message.
    public static func isNotice(_ frame: [UInt8]) -> Bool { frame.count == ClusterID.byteCount }

    /// Whether to answer a dropped foreign frame from `peer` with a notice now (then it is noted as sent).
    public func shouldNotify(_ peer: TransportPeerID, now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { state in
            guard state.clusterID != nil else { return false }
            if let last = state.lastNotice[peer], now - last < Self.noticeInterval { return false }
            state.lastNotice[peer] = now
            return true
        }
    }

    /// Prepends this member's id (zeros while it has none) to an encoded message (empty: a notice).
    public func seal(_ message: [UInt8]) -> [UInt8] {
        (clusterID?.bytes ?? ClusterID.unknownWireBytes) + message
    }

    /// Checks the id at the front of `frame` from `peer`; `otherMembers` is how many members besides this
    /// one it talks to (the majority rule needs it; asked only for a foreign frame, not on every frame). On `.accept` and `.adopted` the message follows
    /// `ClusterID.byteCount` bytes into the frame.
    public func admit(_ frame: [UInt8], from peer: TransportPeerID, otherMembers: @autoclosure () -> Int) -> Verdict {
        guard frame.count >= ClusterID.byteCount else { return .malformed }
        let remote = ClusterID(bytes: frame.prefix(ClusterID.byteCount))
        let (verdict, report) = state.withLock { state -> (Verdict, ForeignClusterReport?) in
            guard let remote else { return (.accept, nil) }
            guard let local = state.clusterID else {
                do {
                    try store(remote)
                } catch {
                    return (.malformed, nil)
                }
                state.clusterID = remote
                return (.adopted(remote), nil)
            }
            if remote == local {
                state.foreignPeers[peer] = nil
                return (.accept, nil)
            }
            state.foreignFrames += 1
            state.foreignPeers[peer] = remote
            guard !state.reported, state.foreignPeers.count * 2 > otherMembers() else { return (.foreign(remote), nil) }
            state.reported = true
            return (.foreign(remote), ForeignClusterReport(local: local, foreign: state.foreignPeers))
        }
        if let report { reportContinuation.yield(report) }
        return verdict
    }

    /// Waits until most of the other members are found to hold another cluster's id; `nil` when cancelled.
    public func foreignMajority() async -> ForeignClusterReport? {
        for await report in reports { return report }
        return nil
    }
}
