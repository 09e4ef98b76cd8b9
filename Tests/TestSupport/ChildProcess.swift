import Foundation
import Synchronization

/// A child process whose standard output is read line by line, and which is always ended by the test
/// (`kill`, or `terminate` from `deinit` as a last resort), so no test leaves a process behind.
public final class ChildProcess: Sendable {
    public let process: Process
    private let lines: AsyncStream<String>

    public init(executable: String, arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        let buffer = LineBuffer()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                continuation.finish()
                return
            }
            for line in buffer.append(data) { continuation.yield(line) }
        }
        try process.run()
        self.process = process
        self.lines = stream
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// The output lines, in order, until the process closes its standard output.
    public var outputLines: AsyncStream<String> { lines }

    /// Sends `signal` and waits until the process is gone.
    public func kill(_ signal: Int32 = SIGKILL) {
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }
}

/// Splits incoming bytes into lines; the readability handler runs on one thread at a time.
private final class LineBuffer: Sendable {
    private let pending = Mutex<[UInt8]>([])

    func append(_ data: Data) -> [String] {
        pending.withLock { pending in
            pending.append(contentsOf: data)
            var lines: [String] = []
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
            return lines
        }
    }
}
