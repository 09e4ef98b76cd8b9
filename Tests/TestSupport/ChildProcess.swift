import Foundation
import KeyCluster
import KeyClusterTooling
import Synchronization

/// A child process whose standard output is read line by line (or, for servers, written to a log file),
/// and which is always ended by the test (`kill`, or SIGKILL from `deinit` as a last resort), so no test
/// leaves a process behind. Started and reaped by `SpawnedProcess` (posix_spawn + waitpid on its pid).
public final class ChildProcess: Sendable {
    public let process: SpawnedProcess
    private let lines: AsyncStream<String>

    /// Starts `executable`. With `logFile`, stdout and stderr are appended there and `outputLines` is empty.
    public init(executable: String, arguments: [String], logFile: String? = nil) throws {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        if let logFile {
            let descriptor = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw SpawnedProcess.SpawnFailed(executable: logFile, code: errno) }
            defer { close(descriptor) }
            process = try SpawnedProcess(executable: executable, arguments: arguments, outputDescriptor: descriptor)
            continuation.finish()
        } else {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw SpawnedProcess.SpawnFailed(executable: executable, code: errno) }
            // Not inherited by other children this process spawns (the child gets its own copy via dup2).
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            do {
                process = try SpawnedProcess(executable: executable, arguments: arguments, outputDescriptor: ends[1])
            } catch {
                close(ends[0])
                close(ends[1])
                throw error
            }
            close(ends[1])
            // A thread of its own reads until end of file, so the test's tasks never block on the pipe.
            let reader = ends[0]
            Thread {
                defer { close(reader) }
                var pending: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: Self.readChunkBytes)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    pending.append(contentsOf: buffer[..<count])
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        continuation.yield(String(decoding: pending[..<newline], as: UTF8.self))
                        pending.removeSubrange(...newline)
                    }
                }
                continuation.finish()
            }.start()
        }
        lines = stream
    }

    /// Bytes read from the child's output at a time.
    static let readChunkBytes = 4_096

    /// The output lines, in order, until the process closes its standard output.
    public var outputLines: AsyncStream<String> { lines }

    public var isRunning: Bool { process.isRunning }

    /// Waits until the process has exited; returns how.
    @discardableResult
    public func waitUntilExit() -> SpawnedProcess.Termination { process.waitUntilExit() }

    /// Sends `signal` and waits until the process is gone.
    @discardableResult
    public func kill(_ signal: Int32 = SIGKILL) -> SpawnedProcess.Termination { process.kill(signal) }
}
