import Dispatch
import Foundation
import Synchronization

/// Where log lines go: a bounded queue drained by one background thread that writes to a file descriptor.
///
/// A request or a Raft tick only formats its line and enqueues it; it never waits for the terminal, a full
/// pipe or a slow disk. When the queue is full the line is dropped and counted, and the count is reported
/// once the writer catches up — so logging volume can never stall the node (design §8).
public final class LogSink: Sendable {
    /// Lines waiting to be written; beyond this new lines are dropped and counted.
    public static let maxQueuedLines = 10_000

    private struct State {
        var lines: [String] = []
        var droppedLines = 0
    }

    private let state = Mutex(State())
    private let linesAvailable = DispatchSemaphore(value: 0)
    private let descriptor: Int32
    /// The format of the sink's own line about dropped lines (the handlers' format).
    private let format: LogFormat

    /// A sink writing to `descriptor` (standard error by default) from its own thread.
    public init(descriptor: Int32 = STDERR_FILENO, format: LogFormat = .text) {
        self.descriptor = descriptor
        self.format = format
        let thread = Thread { [self] in drain() }
        thread.name = "keycluster-log-writer"
        thread.start()
    }

    /// Queues `line` (without its newline); never blocks.
    public func enqueue(_ line: String) {
        let accepted = state.withLock { state in
            guard state.lines.count < Self.maxQueuedLines else {
                state.droppedLines += 1
                return false
            }
            state.lines.append(line)
            return true
        }
        if accepted { linesAvailable.signal() }
    }

    public var droppedLines: Int { state.withLock { $0.droppedLines } }

    private func drain() {
        while true {
            linesAvailable.wait()
            let (lines, dropped) = state.withLock { state in
                defer {
                    state.lines.removeAll(keepingCapacity: true)
                    state.droppedLines = 0
                }
                return (state.lines, state.droppedLines)
            }
            var text = lines.joined(separator: "\n")
            if !lines.isEmpty { text += "\n" }
            if dropped > 0 {
                text +=
                    QueuedLogHandler.line(
                        format: format, at: Date(), level: .warning,
                        message: "log lines dropped: the log writer could not keep up", label: "keycluster.log",
                        metadata: ["dropped": "\(dropped)"]) + "\n"
            }
            write(Array(text.utf8))
        }
    }

    private func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { return }  // a closed or broken descriptor: logging must not take the node down
            offset += written
        }
    }
}
