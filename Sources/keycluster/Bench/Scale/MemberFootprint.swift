import Foundation

/// What a member holds, read from `/proc` and its data directory: resident memory and the LMDB file.
enum MemberFootprint {
    /// Resident memory of `pid` (`/proc/PID/status`), nil when it is gone: `anonymous` is the process's own
    /// heap and stacks (what it allocated); `file` is pages of mapped files — LMDB's read-only map, which
    /// the kernel may drop at any time — counted in RSS but not memory the member holds on to.
    static func resident(_ pid: pid_t) -> (total: Int, anonymous: Int, file: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func kibibytes(_ field: String) -> Int? {
            for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                return fields.count >= 2 ? Int(fields[1]).map { $0 * 1_024 } : nil
            }
            return nil
        }
        guard let total = kibibytes("VmRSS") else { return nil }
        return (total, kibibytes("RssAnon") ?? total, kibibytes("RssFile") ?? 0)
    }

    /// Bytes of every `data.mdb` under `directory` (the member's LMDB environment: state, log and all).
    static func lmdbBytes(under directory: String) -> Int {
        (FileManager.default.subpaths(atPath: directory) ?? []).filter { $0.hasSuffix("data.mdb") }.reduce(0) {
            total, relative in
            total
                + ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + relative)[.size] as? NSNumber)?
                    .intValue ?? 0)
        }
    }
}
