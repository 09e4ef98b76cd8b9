import NIOCore

/// Where an inbound connection comes from, for the per-source cap: an IPv4 address, or an IPv6 /64
/// (whoever holds one IPv6 address usually holds its whole /64, so counting addresses would be no cap).
struct PeerConnectionSource: Hashable, Sendable, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }

    init(_ address: SocketAddress?) {
        switch address {
        case .v4:
            self.init(address?.ipAddress ?? "?")
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            // IPv4-mapped (::ffff:a.b.c.d, a dual-stack listener's IPv4 clients): the IPv4 address, not a /64
            // that would lump every IPv4 client together.
            if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                self.init(bytes[12...].map(String.init).joined(separator: "."))
            } else {
                self.init(bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ":") + "::/64")
            }
        case .unixDomainSocket, .none:
            self.init("local")
        }
    }
}

/// Which inbound connections that have not yet proved a member's identity may stay open (design §9: on the
/// peer port only verified members hold slots). Verified connections and this member's own dials are not
/// tracked here at all: they never compete with strangers. Pure bookkeeping, under the transport's lock;
/// the caller closes what it is told to.
///
/// Members cannot be told from strangers before TLS, but they behave differently: a member's dial sends
/// its ClientHello as soon as it connects, an idle stranger sends nothing. So when a budget is full, a new
/// connection takes the place of the oldest *silent* one (which is closed), and is refused only when
/// every connection holding the budget has spoken. A member's connection is silent only for the moment
/// between accept and its first read, and being the newest it is the last to be evicted.
struct PeerConnectionAdmission<Connection: Hashable> {
    enum Decision: Equatable {
        case admit
        /// Admit, after closing `victim` (the oldest silent connection of the full budget).
        case admitEvicting(Connection)
        /// Every connection holding the budget has spoken; the source's own cap when `perSource`.
        case refuse(perSource: Bool)
    }

    private struct Entry {
        var source: PeerConnectionSource
        /// Admission order: lower is older.
        var order: UInt64
        var hasSpoken = false
    }

    let maxConnections: Int
    let maxConnectionsPerSource: Int
    private var entries: [Connection: Entry] = [:]
    private var countBySource: [PeerConnectionSource: Int] = [:]
    private var nextOrder: UInt64 = 0

    init(maxConnections: Int, maxConnectionsPerSource: Int) {
        precondition(
            maxConnectionsPerSource >= 1 && maxConnections >= maxConnectionsPerSource, "admission budgets out of order")
        self.maxConnections = maxConnections
        self.maxConnectionsPerSource = maxConnectionsPerSource
    }

    var count: Int { entries.count }

    /// Connections that have sent bytes (handshaking, not evictable).
    var spokenCount: Int { entries.values.filter(\.hasSpoken).count }

    func count(from source: PeerConnectionSource) -> Int { countBySource[source] ?? 0 }

    /// Decides on a new connection from `source` and, unless refused, records it (and forgets the victim).
    mutating func admit(_ connection: Connection, from source: PeerConnectionSource) -> Decision {
        precondition(entries[connection] == nil, "connection admitted twice")
        let decision: Decision
        if count(from: source) >= maxConnectionsPerSource {
            decision =
                evictOldestSilent(where: { $0.source == source }).map(Decision.admitEvicting)
                ?? .refuse(perSource: true)
        } else if entries.count >= maxConnections {
            decision = evictOldestSilent(where: { _ in true }).map(Decision.admitEvicting) ?? .refuse(perSource: false)
        } else {
            decision = .admit
        }
        if case .refuse = decision { return decision }
        entries[connection] = Entry(source: source, order: nextOrder)
        nextOrder += 1
        countBySource[source, default: 0] += 1
        return decision
    }

    /// The connection sent its first bytes: it is handshaking, no longer evictable.
    mutating func spoke(_ connection: Connection) {
        entries[connection]?.hasSpoken = true
    }

    /// The connection was verified or closed: it no longer holds a slot. Unknown connections are ignored.
    mutating func remove(_ connection: Connection) {
        guard let entry = entries.removeValue(forKey: connection) else { return }
        let remaining = (countBySource[entry.source] ?? 1) - 1
        countBySource[entry.source] = remaining > 0 ? remaining : nil
    }

    private mutating func evictOldestSilent(where matches: (Entry) -> Bool) -> Connection? {
        // Linear in the budget, which is small.
        let victim = entries.filter { !$0.value.hasSpoken && matches($0.value) }.min {
            $0.value.order < $1.value.order
        }?.key
        if let victim { remove(victim) }
        return victim
    }
}
