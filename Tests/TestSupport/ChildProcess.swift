import Foundation
import Synchronization

/// A child process whose standard output is read line by line (or, for servers, written to a log file),
/// and which is always ended by the test (`kill`, or `terminate` from `deinit` as a last resort), so no
/// test leaves a process behind.
public final class ChildProcess: Sendable {
    public let process: Process
    private let lines: AsyncStream<String>

    /// Starts `executable`. With `logFile`, stdout and stderr go there and `outputLines` is empty.
    public init(executable: String, arguments: [String], logFile: String? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        if let logFile {
            _ = FileManager.default.createFile(atPath: logFile, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
            _ = handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
            continuation.finish()
        } else {
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
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
        }
        try process.run()
        self.process = process
        self.lines = stream
    }

    deinit {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The output lines, in order, until the process closes its standard output.
    public var outputLines: AsyncStream<String> { lines }

    public var isRunning: Bool { process.isRunning }

    /// Sends `signal` and waits until the process is gone.
    public func kill(_ signal: Int32 = SIGKILL) {
        guard process.isRunning else { return }
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
