import RaftNode

extension NodeConfiguration {
    /// Log compaction settings (`"snapshots"` in the configuration file). A member snapshots its state and
    /// drops the log prefix after `thresholdEntries` applied entries, keeping `retainedEntries` so a follower
    /// a little behind still catches up from the log; one further behind receives the snapshot in chunks of
    /// `maxChunkBytes`. Small values are for tests that force snapshot transfers.
    public struct Snapshots: Codable, Sendable, Equatable {
        public var thresholdEntries: Int?
        public var retainedEntries: Int?
        public var maxChunkBytes: Int?

        public init(thresholdEntries: Int? = nil, retainedEntries: Int? = nil, maxChunkBytes: Int? = nil) {
            self.thresholdEntries = thresholdEntries
            self.retainedEntries = retainedEntries
            self.maxChunkBytes = maxChunkBytes
        }

        /// Largest chunk a configuration may ask for: well inside the peer transport's frame bound.
        public static let maxChunkBytesLimit = 4 << 20

        func validate() throws(Invalid) {
            guard (thresholdEntries ?? 1) >= 1, (retainedEntries ?? 0) >= 0 else {
                throw Invalid(reason: "snapshots need thresholdEntries ≥ 1 and retainedEntries ≥ 0")
            }
            guard (1...Self.maxChunkBytesLimit).contains(maxChunkBytes ?? 1) else {
                throw Invalid(reason: "snapshots.maxChunkBytes must be within 1...\(Self.maxChunkBytesLimit)")
            }
        }

        /// Applies the settings given to `options`, leaving the defaults for those absent.
        func apply(to options: inout RaftNodeOptions) {
            if let thresholdEntries { options.raft.snapshotThresholdEntries = thresholdEntries }
            if let retainedEntries { options.raft.retainedEntriesForSlowFollowers = retainedEntries }
            if let maxChunkBytes { options.snapshots.maxChunkBytes = maxChunkBytes }
        }
    }
}
