/// Which queue a frame waits in. Control frames (votes, heartbeats, their responses) are always written
/// before bulk frames (appends, snapshot chunks), so a long append stream cannot delay an election or a
/// heartbeat by more than the bulk frame already being written.
public enum PeerTransportLane: Sendable, Hashable, CaseIterable {
    case control
    case bulk
}
