import Foundation

/// Log timestamps: ISO-8601 in UTC with milliseconds (`2026-12-07T14:11:47.123Z`), so lines of members in
/// different regions sort together and events less than a second apart keep their order.
enum LogTimestamp {
    static func format(_ date: Date) -> String {
        // To the nearest microsecond first: a Date is a binary fraction, and 0.007 s must not print as .006.
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let milliseconds = microseconds.quotientAndRemainderFlooring(dividingBy: 1_000).quotient
        var seconds = time_t(milliseconds.quotientAndRemainderFlooring(dividingBy: 1_000).quotient)
        let millisecond = Int(milliseconds.quotientAndRemainderFlooring(dividingBy: 1_000).remainder)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return
            "\(digits(Int(parts.tm_year) + 1900, 4))-\(digits(Int(parts.tm_mon) + 1, 2))-\(digits(Int(parts.tm_mday), 2))"
            + "T\(digits(Int(parts.tm_hour), 2)):\(digits(Int(parts.tm_min), 2)):\(digits(Int(parts.tm_sec), 2)).\(digits(millisecond, 3))Z"
    }

    private static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so instants before 1970 keep a remainder in `0..<divisor`.
    fileprivate func quotientAndRemainderFlooring(dividingBy divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}
