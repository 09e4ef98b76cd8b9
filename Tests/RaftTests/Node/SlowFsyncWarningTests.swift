import Testing

@testable import RaftNode

@Suite("Slow fsync warnings")
struct SlowFsyncWarningTests {
    @Test(
        "a commit above the threshold warns with its duration; more within the interval are counted into the next warning"
    )
    func warnsRateLimited() {
        let lines = CapturedLogLines()
        let warning = SlowFsyncWarning(thresholdMilliseconds: 100, logger: lines.logger)
        let start = ContinuousClock.now
        warning.committed(duration: .milliseconds(100), now: start)
        #expect(lines.captured.isEmpty, "at the threshold is not slow")
        warning.committed(duration: .milliseconds(250), now: start)
        warning.committed(duration: .milliseconds(300), now: start + .seconds(1))
        warning.committed(duration: .milliseconds(400), now: start + .seconds(2))
        warning.committed(duration: .milliseconds(500), now: start + SlowFsyncWarning.minWarningInterval + .seconds(1))
        let warnings = lines.captured
        #expect(warnings.count == 2)
        #expect(warnings.allSatisfy { $0.level == .warning && $0.message.hasPrefix("slow fsync") })
        #expect(warnings.first?.metadata["durationMilliseconds"] == "250")
        #expect(warnings.last?.metadata["slowCommits"] == "3", "the two suppressed and this one")
    }
}
