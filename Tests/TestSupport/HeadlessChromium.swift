import Foundation
import KeyCluster

/// Headless Chromium for tests of pages the members serve: `--dump-dom` (the DOM after the page's scripts
/// ran for a virtual-time budget) and `--screenshot`. Each run has its own profile directory, and every
/// process still holding that directory afterwards — Chromium's helpers — is killed by pid, so no test
/// leaves a browser behind.
public struct HeadlessChromium: Sendable {
    /// Where Debian's `chromium` package puts the browser.
    public static let candidatePaths = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
    /// Page time the scripts get before the DOM is taken: enough for the first refresh and one more.
    public static let virtualTimeBudgetMilliseconds = 5_000
    /// Longest one browser run may take (a cold start on a loaded machine) before it is killed.
    public static let maxRunSeconds = 90.0

    public static var path: String? { candidatePaths.first { FileManager.default.isExecutableFile(atPath: $0) } }

    let executable: String
    let profileRoot: String

    /// Nil when Chromium is not installed. Profiles go under `directory`.
    public init?(profilesIn directory: String) {
        guard let executable = Self.path else { return nil }
        self.executable = executable
        profileRoot = directory
    }

    /// The DOM of `url` once its scripts had their virtual time.
    public func dumpDOM(_ url: String) async throws -> String {
        try await run(["--dump-dom", url])
    }

    /// Saves a PNG of `url` to `file`.
    public func screenshot(_ url: String, to file: String, width: Int = 1_280, height: Int = 900) async throws {
        _ = try await run(["--screenshot=\(file)", "--window-size=\(width),\(height)", url])
    }

    private func run(_ arguments: [String]) async throws -> String {
        let profile = "\(profileRoot)/chromium-\(UUID().uuidString)"
        let browser = try ChildProcess(
            executable: executable,
            arguments: [
                "--headless", "--disable-gpu", "--no-sandbox", "--ignore-certificate-errors", "--no-first-run",
                "--user-data-dir=\(profile)", "--virtual-time-budget=\(Self.virtualTimeBudgetMilliseconds)",
            ] + arguments)
        let output = Task {
            var lines: [String] = []
            for await line in browser.outputLines { lines.append(line) }
            return lines.joined(separator: "\n")
        }
        /// The helpers may hold the output pipe open: they go before the output is awaited.
        func end() {
            browser.kill()
            Self.killProcesses(holding: profile)
        }
        do {
            try await waitUntil("chromium finishes", deadlineSeconds: Self.maxRunSeconds) { !browser.isRunning }
        } catch {
            end()
            output.cancel()
            throw error
        }
        end()
        return await output.value
    }

    /// Kills (SIGKILL) every process whose command line names `profile`: the helpers of one run only.
    static func killProcesses(holding profile: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid(),
                let commandLine = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                String(decoding: commandLine, as: UTF8.self).contains(profile)
            else { continue }
            kill(pid, SIGKILL)
        }
    }
}
