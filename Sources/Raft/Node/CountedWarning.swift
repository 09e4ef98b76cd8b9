/// The one rule for warnings that can repeat at an event's rate (slow fsyncs, late ticks, strict reads
/// answered bounded): at most one line per `minWarningInterval`, and that line says how many events it
/// stands for — so a failing disk or a starved machine cannot flood the log, and no event goes uncounted.
public struct CountedWarning: Sendable {
    public static let minWarningInterval: Duration = .seconds(10)

    private var lastWarning: ContinuousClock.Instant?
    private var sinceWarning = 0

    public init() {}

    /// Records one event; returns how many events the line written now stands for, or nil when no line
    /// is due yet.
    public mutating func occurred(now: ContinuousClock.Instant) -> Int? {
        sinceWarning += 1
        if let lastWarning, now - lastWarning < Self.minWarningInterval { return nil }
        lastWarning = now
        defer { sinceWarning = 0 }
        return sinceWarning
    }
}
