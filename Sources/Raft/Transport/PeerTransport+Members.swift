extension PeerAddress {
    /// Parses `host:port` (IPv6 as `[::1]:port`); nil when it is not that shape or the port is out of range.
    /// The one parser for addresses from configuration files, operator requests and the replicated membership.
    public init?(parsing address: String) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65_535).contains(port)
        else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }) else { return nil }
        self.init(host: host, port: port)
    }
}

extension PeerTransport {
    /// The peer set in force (as configured, or as last replaced by `updatePeers`).
    public var peerAddresses: [TransportPeerID: PeerAddress] {
        state.withLock { $0.peers }
    }

    /// Whether `shutdown()` has begun: links closing then are no news.
    public var isShutDown: Bool {
        state.withLock { state in
            if case .shutDown = state.lifecycle { return true }
            return false
        }
    }
}
