import Foundation

/// Runs long blocking file work (writing or verifying a snapshot or backup, seconds for a large state) on
/// a thread of its own: never on an actor, and never on Swift's cooperative pool — whose few threads (one
/// per core) would all stall — nor on a small shared pool that other nodes' work could queue behind.
/// One such job runs per snapshot being taken, verified or backed up, so the threads are few.
public enum BlockingFileWork {
    public static func run<T: Sendable>(_ name: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = name
            thread.start()
        }
    }
}
