import Foundation

/// What a member holds, read from `/proc` and its data directory: resident memory and the LMDB file.
enum MemberFootprint {
    /// Resident set of `pid` in bytes (`VmRSS`), nil when it is gone.
    static func residentBytes(_ pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1_024
        }
        return nil
    }

    /// Bytes of every `data.mdb` under `directory` (the member's LMDB environment: state, log and all).
    static func lmdbBytes(under directory: String) -> Int {
        bytes(under: directory) { $0.hasSuffix("data.mdb") }
    }

    /// Bytes of every file under `directory` whose path `matches`.
    static func bytes(under directory: String, matching matches: (String) -> Bool) -> Int {
        var total = 0
        guard let all = FileManager.default.subpaths(atPath: directory) else { return 0 }
        for relative in all where matches(relative) {
            let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + relative)[.size] as? NSNumber)?.intValue
            total += size ?? 0
        }
        return total
    }
}
