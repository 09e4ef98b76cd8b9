import NIOCore
import NIOPosix
import Synchronization

/// `count` plain TCP connections to `host:port` that never send a byte, each reopened as soon as it closes —
/// the idle-connection flood of issue 12 item 6 — spread over `sourceHosts` in turn. `stop()` closes them
/// all and waits until none is left (required).
///
/// The sources are loopback addresses other than 127.0.0.1 on purpose: the flood goes through thousands of
/// ephemeral ports a second, and one of them taken on 127.0.0.1 could be the port a test is about to
/// listen on again (a restarted member or transport), which would then fail to bind.
public final class SilentConnectionFlood: Sendable {
    private struct State {
        var isStopped = false
        var open: [ObjectIdentifier: Channel] = [:]
        /// Connects in progress and reconnects scheduled: each ends by opening a connection or by seeing
        /// `isStopped`, so `stop()` waits for them too.
        var pending = 0
        var closedByServer = 0
    }

    /// How long a connection refused at connect waits before trying again.
    public static let connectRetryDelayMilliseconds = 10
    /// How long `stop()` waits for every connection and connect in progress to end.
    public static let stopDeadlineSeconds = 10.0

    private let host: String
    private let port: Int
    private let state = Mutex(State())

    /// Throws when a source host is not an IP address.
    public init(host: String = "127.0.0.1", port: Int, count: Int, sourceHosts: [String] = ["127.0.0.2"]) throws {
        precondition(!sourceHosts.isEmpty, "a flood comes from somewhere")
        let sources = try sourceHosts.map { try SocketAddress(ipAddress: $0, port: 0) }
        self.host = host
        self.port = port
        for index in 0..<count { open(from: sources[index % sources.count]) }
    }

    /// Connections the server has closed so far (refused, evicted or timed out).
    public var closedByServer: Int { state.withLock { $0.closedByServer } }

    /// Connections open now, as this side sees them.
    public var openCount: Int { state.withLock { $0.open.count } }

    private func open(from source: SocketAddress) {
        let started = state.withLock { state -> Bool in
            guard !state.isStopped else { return false }
            state.pending += 1
            return true
        }
        guard started else { return }
        ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: source)
            .connect(host: host, port: port)
            .whenComplete { [self] result in
                guard case .success(let channel) = result else {
                    // Refused at connect (the member is down, or its backlog full): try again, as an attacker
                    // would, a little later, so a stopped member does not make this a busy loop. The retry
                    // stays pending until it runs.
                    MultiThreadedEventLoopGroup.singleton.any().scheduleTask(
                        in: .milliseconds(Int64(Self.connectRetryDelayMilliseconds))
                    ) {
                        self.state.withLock { $0.pending -= 1 }
                        self.open(from: source)
                    }
                    return
                }
                let keep = state.withLock { state -> Bool in
                    guard !state.isStopped else { return false }
                    state.pending -= 1
                    state.open[ObjectIdentifier(channel)] = channel
                    return true
                }
                guard keep else {
                    // Connected after `stop()`: pending until it is closed.
                    channel.closeFuture.whenComplete { [self] _ in state.withLock { $0.pending -= 1 } }
                    return channel.close(promise: nil)
                }
                channel.closeFuture.whenComplete { [self] _ in
                    let reopen = state.withLock { state -> Bool in
                        state.open[ObjectIdentifier(channel)] = nil
                        guard !state.isStopped else { return false }
                        state.closedByServer += 1
                        return true
                    }
                    if reopen { open(from: source) }
                }
            }
    }

    /// Stops reopening, closes every connection, and waits until no connection or connect is left.
    public func stop() async throws {
        let channels = state.withLock { state -> [Channel] in
            state.isStopped = true
            return Array(state.open.values)
        }
        for channel in channels { try? await channel.close() }
        try await waitUntil("the flood's connections are all closed", deadlineSeconds: Self.stopDeadlineSeconds) {
            state.withLock { $0.open.isEmpty && $0.pending == 0 }
        }
    }
}
