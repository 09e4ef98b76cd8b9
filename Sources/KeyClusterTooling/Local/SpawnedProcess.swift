import Foundation
import KeyCluster
import Synchronization

/// A child process started with `posix_spawn` and reaped by its owner with `waitpid` on that pid.
///
/// Why not Foundation's `Process`: on Linux it learns of exits from SIGCHLD, and under load (several test
/// processes, scripts whose background children outlive them) `waitUntilExit()` was seen never to return —
/// a hung test run. Waiting on the pid itself cannot miss the exit.
public final class SpawnedProcess: Sendable {
    /// How a process ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        /// The exit status, or 128 + the signal as a shell reports it.
        public var status: Int32 {
            switch self {
            case .exited(let status): status
            case .signalled(let signal): 128 + signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let status): "exited \(status)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    public struct SpawnFailed: Error, CustomStringConvertible {
        public let executable: String
        public let code: Int32
        public var description: String { "cannot start \(executable): \(String(cString: strerror(code)))" }

        public init(executable: String, code: Int32) {
            self.executable = executable
            self.code = code
        }
    }

    public let pid: pid_t
    private let termination = Mutex<Termination?>(nil)

    /// Starts `executable` with `arguments` and this process's environment. Standard input is /dev/null;
    /// standard output and error go to `outputDescriptor` (which the child gets a copy of), else /dev/null.
    public init(executable: String, arguments: [String], outputDescriptor: Int32? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let outputDescriptor {
            posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 1)
            posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let argv = ([executable] + arguments).map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, executable, &actions, nil, argv + [nil], environ)
        guard code == 0 else { throw SpawnFailed(executable: executable, code: code) }
        self.pid = pid
    }

    deinit {
        if isRunning {
            Foundation.kill(pid, SIGKILL)
            _ = waitUntilExit()
        }
    }

    /// Whether the process has not exited yet (reaps it when it has).
    public var isRunning: Bool {
        termination.withLock { termination in
            if termination != nil { return false }
            termination = Self.reap(pid, options: WNOHANG)
            return termination == nil
        }
    }

    /// Blocks until the process has exited; returns how.
    @discardableResult
    public func waitUntilExit() -> Termination {
        termination.withLock { termination in
            if let termination { return termination }
            var ended: Termination?
            while ended == nil { ended = Self.reap(pid, options: 0) }
            termination = ended
            return ended ?? .exited(-1)
        }
    }

    /// Sends `signal` and waits until the process is gone.
    @discardableResult
    public func kill(_ signal: Int32 = SIGKILL) -> Termination {
        if isRunning { Foundation.kill(pid, signal) }
        return waitUntilExit()
    }

    /// One `waitpid`; nil while the process runs (or on EINTR, so the caller retries).
    private static func reap(_ pid: pid_t, options: Int32) -> Termination? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, options)
        if result == 0 || (result == -1 && errno == EINTR) { return nil }
        // ECHILD: someone else reaped it; it has ended, how is unknown.
        guard result == pid else { return .exited(-1) }
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }
}
