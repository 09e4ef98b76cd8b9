import Foundation
import Logging
import Testing

@testable import KeyCluster

/// Log lines as shippers and people read them: millisecond UTC timestamps, logfmt or one JSON object per line.
@Suite("Log line formats")
struct LogLineTests {
    /// 2026-12-07T14:11:47.123Z.
    static let instant = Date(timeIntervalSince1970: 1_796_652_707.123_4)

    @Test("timestamps are ISO-8601 UTC with milliseconds, rounded down, zero-padded")
    func timestamps() {
        #expect(LogTimestamp.format(Self.instant) == "2026-12-07T14:11:47.123Z")
        #expect(LogTimestamp.format(Date(timeIntervalSince1970: 0.007)) == "1970-01-01T00:00:00.007Z")
    }

    @Test("text: logfmt with the timestamp first and msg last, values with spaces quoted")
    func text() {
        let line = QueuedLogHandler.line(
            format: .text, at: Self.instant, level: .warning, message: "lost the leader", label: "keycluster",
            metadata: ["node": "2", "previousLeader": "1"])
        #expect(
            line
                == #"time=2026-12-07T14:11:47.123Z level=warning logger=keycluster node=2 previousLeader=1 msg="lost the leader""#
        )
    }

    @Test(
        "json: one object per line with ts, level, msg, node first; metadata nested and escaped; fixed keys not overwritten"
    )
    func json() throws {
        let line = QueuedLogHandler.line(
            format: .json, at: Self.instant, level: .info, message: "say \"hi\"\n\tthere", label: "keycluster",
            metadata: ["node": "1", "msg": "shadow", "peers": ["2", "3"], "detail": ["error": "\u{1}"]])
        #expect(!line.contains("\n"))
        #expect(
            line.hasPrefix(
                #"{"ts":"2026-12-07T14:11:47.123Z","level":"info","msg":"say \"hi\"\n\tthere","node":"1","logger":"keycluster""#
            ))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "say \"hi\"\n\tthere")
        #expect(object["msg_"] as? String == "shadow")
        #expect(object["peers"] as? [String] == ["2", "3"])
        #expect((object["detail"] as? [String: String])?["error"] == "\u{1}")
    }
}
