import Storage

/// The bounds on what a member stores (design §9; etcd's `quota-backend-bytes` and NOSPACE alarm), from
/// the `quota` object of the node configuration; every field is optional and defaults to the value below.
///
/// Past either bound on any member, the cluster refuses new writes with 507 — except revocations and
/// suspensions, which take access away and must never be blocked by a full disk — while reads and unlocks
/// go on. The reserve is what those revocations, the Raft log and LMDB's copy-on-write pages live on.
public struct StorageQuota: Codable, Sendable, Equatable {
    /// The replicated state's size (the pages of the state machine's databases) at which writes stop.
    public var maxStateBytes: Int
    /// Free space on the data directory's file system below which this member asks the cluster to stop
    /// writes.
    public var freeDiskReserveBytes: Int
    /// How often a member measures its state and its disk, and raises or clears its alarms.
    public var checkIntervalMilliseconds: Int

    /// etcd's largest recommended backend quota: about 5 million grants with their audit history at the
    /// measured ~1.6 KiB of LMDB pages per grant (docs/scaling.md); the map is sized from it.
    public static let defaultMaxStateBytes = 8 << 30
    /// Room for many thousands of revocations and a few snapshots of a large state after writes stop.
    public static let defaultFreeDiskReserveBytes = 256 << 20
    public static let defaultCheckIntervalMilliseconds = 1_000

    public init(
        maxStateBytes: Int = defaultMaxStateBytes, freeDiskReserveBytes: Int = defaultFreeDiskReserveBytes,
        checkIntervalMilliseconds: Int = defaultCheckIntervalMilliseconds
    ) {
        self.maxStateBytes = maxStateBytes
        self.freeDiskReserveBytes = freeDiskReserveBytes
        self.checkIntervalMilliseconds = checkIntervalMilliseconds
    }

    /// The LMDB map a member opens its environment with: four times `maxStateBytes` (at least LMDB's
    /// small default). The map is address space, not disk — the file grows only with what is written — but
    /// growing it waits for every open transaction, snapshot and backup reads of the whole state included,
    /// and holds new reads (unlocks) behind it for that long. Sized so that never happens below the quota,
    /// with room for the pages a long read keeps from reuse and for a snapshot installed beside the state.
    public var environmentOptions: EnvironmentOptions {
        let defaults = EnvironmentOptions()
        let four = maxStateBytes.multipliedReportingOverflow(by: 4)
        let map =
            four.overflow
            ? defaults.maxMapSizeBytes
            : min(max(defaults.initialMapSizeBytes, four.partialValue), defaults.maxMapSizeBytes)
        return EnvironmentOptions(initialMapSizeBytes: map)
    }

    /// Absent fields take their defaults, so a configuration names only what it changes.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            maxStateBytes: try container.decodeIfPresent(Int.self, forKey: .maxStateBytes) ?? Self.defaultMaxStateBytes,
            freeDiskReserveBytes: try container.decodeIfPresent(Int.self, forKey: .freeDiskReserveBytes)
                ?? Self.defaultFreeDiskReserveBytes,
            checkIntervalMilliseconds: try container.decodeIfPresent(Int.self, forKey: .checkIntervalMilliseconds)
                ?? Self.defaultCheckIntervalMilliseconds)
    }

    /// Why these bounds cannot run, or nil.
    var refusal: String? {
        guard maxStateBytes >= 1 << 20 else { return "quota maxStateBytes must be at least 1 MiB" }
        guard freeDiskReserveBytes >= 0 else { return "quota freeDiskReserveBytes must not be negative" }
        guard (100...60_000).contains(checkIntervalMilliseconds) else {
            return "quota checkIntervalMilliseconds must be 100–60000"
        }
        return nil
    }

    /// The free space a member with `stateBytes` of state keeps: the configured reserve, and never less than
    /// the state itself — a snapshot (at most the state's size; about 0.55 of it measured) must still be
    /// writable after writes stop, or the member could not compact its log, catch a returning member up
    /// or be backed up, and the fixed 256 MiB is less than one snapshot of a million grants (816 MiB).
    func diskReserveBytes(stateBytes: Int) -> Int {
        freeDiskReserveBytes == 0 ? 0 : max(freeDiskReserveBytes, stateBytes)
    }

    /// The alarms a member with `stateBytes` of state and `freeDiskBytes` free (nil: unknown) must raise.
    func breaches(stateBytes: Int, freeDiskBytes: Int?) -> Set<StorageAlarm.Kind> {
        var breaches: Set<StorageAlarm.Kind> = []
        if stateBytes >= maxStateBytes { breaches.insert(.stateQuota) }
        if let freeDiskBytes, freeDiskBytes < diskReserveBytes(stateBytes: stateBytes) { breaches.insert(.diskReserve) }
        return breaches
    }
}
