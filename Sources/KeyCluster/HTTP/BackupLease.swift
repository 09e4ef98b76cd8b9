import Foundation
import Synchronization

/// Admits at most one backup at a time on this member. Each backup writes a full copy of the state to the
/// snapshot folder and keeps it until the response is streamed — long after the admission middleware has
/// released its slot — so without this gate concurrent backups could fill the member's disk.
final class BackupGate: Sendable {
    private let busy = Mutex(false)

    /// A lease on the gate, or nil when a backup is already in progress.
    func acquire() -> BackupLease? {
        let acquired = busy.withLock { busy in
            guard !busy else { return false }
            busy = true
            return true
        }
        return acquired ? BackupLease(gate: self) : nil
    }

    fileprivate func release() {
        busy.withLock { $0 = false }
    }
}

/// One backup in progress: owns its scratch file and the descriptor reading it, and frees the gate. Whatever
/// path the request takes — an error before streaming, a streamed response, a response dropped unsent — the
/// file is removed, the descriptor closed and the gate released when the last reference goes.
final class BackupLease: Sendable {
    private let gate: BackupGate
    private let scratch = Mutex<(path: String?, handle: FileHandle?)>((nil, nil))

    fileprivate init(gate: BackupGate) {
        self.gate = gate
    }

    /// Hands the scratch file at `path` (and, once opened, its `handle`) to the lease to dispose of.
    func own(path: String, handle: FileHandle? = nil) {
        scratch.withLock { $0 = (path, handle) }
    }

    deinit {
        let (path, handle) = scratch.withLock { $0 }
        try? handle?.close()
        if let path { try? FileManager.default.removeItem(atPath: path) }
        gate.release()
    }
}
