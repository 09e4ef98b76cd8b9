import Foundation

/// Progress lines for work that takes a while (bench, backup, restore, a learner catching up): on standard
/// error so they never mix with a command's answer on standard output, and silent under `--json`, where
/// a script reads only the final document.
struct Progress: Sendable {
    let silent: Bool

    func say(_ line: String) {
        guard !silent else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
