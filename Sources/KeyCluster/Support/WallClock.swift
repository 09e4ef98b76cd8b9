import Foundation

/// Wall-clock time in Unix milliseconds: used only for request timestamps, grant windows and token
/// lifetimes, which tolerate the stated skew — never for freshness, which uses the monotonic clock.
public enum WallClock {
    public static func nowUnixMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1_000).rounded()) }
}
