/// The appends a leader has sent to one follower and not yet seen acknowledged, oldest first.
/// Bounded by count and by bytes so a slow follower cannot make the leader buffer without limit.
struct Inflights: Sendable, Equatable {
    private struct Append: Sendable, Equatable {
        var lastIndex: LogIndex
        var bytes: Int
    }

    let maxMessages: Int
    let maxBytes: Int
    private var appends: [Append] = []
    private(set) var bytes = 0

    init(maxMessages: Int, maxBytes: Int) {
        precondition(maxMessages >= 1 && maxBytes >= 1, "inflight bounds must be positive")
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
    }

    var count: Int { appends.count }

    var isFull: Bool { appends.count >= maxMessages || bytes >= maxBytes }

    mutating func add(lastIndex: LogIndex, bytes appendBytes: Int) {
        precondition(!isFull, "an append was sent while the inflight window was full")
        precondition(appends.last.map { $0.lastIndex < lastIndex } ?? true, "inflight appends must ascend")
        appends.append(Append(lastIndex: lastIndex, bytes: appendBytes))
        bytes += appendBytes
    }

    /// Forgets every append the follower has acknowledged (all up to `index`).
    mutating func freeThrough(_ index: LogIndex) {
        let acknowledged = appends.prefix { $0.lastIndex <= index }
        bytes -= acknowledged.reduce(0) { $0 + $1.bytes }
        appends.removeFirst(acknowledged.count)
        precondition(bytes >= 0, "inflight byte accounting went negative")
    }

    /// Forgets the oldest append, so a leader whose acknowledgements were lost can send again and
    /// learn from the follower's answer where it really stands.
    mutating func freeOldest() {
        guard let oldest = appends.first else { return }
        freeThrough(oldest.lastIndex)
    }

    mutating func reset() {
        appends.removeAll()
        bytes = 0
    }
}
