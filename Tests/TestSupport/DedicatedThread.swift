import Foundation

/// Runs CPU-bound test work (the Raft simulator) on a thread of its own and awaits its result, so it never
/// occupies a thread of Swift's cooperative pool. On two cores that pool has two threads: a simulator
/// holding one for minutes starved the in-process `RaftNode` tests of the actors' executor, and their
/// elections timed out.
public func onDedicatedThread<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result
{
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Swift.Result { try body() })
        }
        thread.name = "keycluster-test-cpu"
        thread.stackSize = 16 << 20
        thread.start()
    }
}
