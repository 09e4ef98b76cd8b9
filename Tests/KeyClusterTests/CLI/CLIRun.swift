import Foundation
import TestSupport

/// One run of the built `keycluster` binary to completion, as a user's shell runs it: its exit status, and
/// standard output and standard error apart (through files in the working directory).
struct CLIRun {
    let status: Int32
    let output: String
    let errors: String

    init(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:]) throws {
        let outputPath = directory.appending("stdout")
        let errorPath = directory.appending("stderr")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)  // empty for this run
        let assignments = environment.map { "\($0.key)=\($0.value)" }
        // stdout and stderr apart (a child process shares one descriptor for both), through a shell.
        let child = try ChildProcess(
            executable: "/bin/sh",
            arguments: ["-c", "cd \"$1\" && shift && exec env \"$@\" 2>\"$0\"", errorPath, directory.path] + assignments
                + [try KeyClusterBinary.path()] + arguments,
            logFile: outputPath)
        status = child.waitUntilExit().status
        output = try String(contentsOfFile: outputPath, encoding: .utf8)
        errors = try String(contentsOfFile: errorPath, encoding: .utf8)
    }

    /// Runs a command that must succeed and print JSON; decodes it as `T`.
    static func json<T: Decodable>(_ arguments: [String], as: T.Type, in directory: TemporaryDirectory) throws -> T {
        let run = try CLIRun(arguments + ["--json"], in: directory)
        guard run.status == 0 else { throw Failed(arguments: arguments, run: run) }
        return try JSONDecoder().decode(T.self, from: Data(run.output.utf8))
    }

    /// The `--json` error document every command prints on failure (README "Exit statuses").
    struct ErrorDocument: Decodable {
        struct Body: Decodable {
            var message: String
            var cause: String?
            var hint: String?
            var exitStatus: String
            var exitCode: Int32
        }
        var error: Body
    }

    /// The error document on standard output, when this run printed one.
    var errorDocument: ErrorDocument.Body? {
        try? JSONDecoder().decode(ErrorDocument.self, from: Data(output.utf8)).error
    }

    struct Failed: Error, CustomStringConvertible {
        let arguments: [String]
        let run: CLIRun
        var description: String {
            "keycluster \(arguments.joined(separator: " ")) exited \(run.status): \(run.errors)\(run.output)"
        }
    }
}
