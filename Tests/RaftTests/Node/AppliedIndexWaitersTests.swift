import TestSupport
import Testing

@testable import RaftCore
@testable import RaftNode

/// The applied-index waiters behind `RaftNode.waitUntilApplied` (strict reads with a `minRevision`).
@Suite("Applied-index waiters")
struct AppliedIndexWaitersTests {
    /// Owns the waiters, as the node's actor does.
    actor Owner {
        var waiters = AppliedIndexWaiters<Int>(maxWaiters: 2)
        func add(_ index: LogIndex, deadline: Int, _ continuation: CheckedContinuation<LogIndex, any Error>) {
            waiters.add(index: index, deadline: deadline, continuation: continuation)
        }
        func applied(_ index: LogIndex) { waiters.applied(through: index) }
        func expire(now: Int) { waiters.expire(now: now, with: ReadError.timedOut) }
        var count: Int { waiters.count }
        var isFull: Bool { waiters.isFull }
    }

    static func wait(_ owner: Owner, for index: LogIndex, deadline: Int) -> Task<String, Never> {
        Task {
            do {
                let applied = try await withCheckedThrowingContinuation { continuation in
                    Task { await owner.add(index, deadline: deadline, continuation) }
                }
                return "applied \(applied)"
            } catch {
                return "failed"
            }
        }
    }

    @Test(
        "a waiter resumes when the applied index reaches its index, not before; a past deadline fails it; a full list says so"
    )
    func resumeExpireAndBound() async throws {
        let owner = Owner()
        let early = Self.wait(owner, for: 5, deadline: 100)
        let late = Self.wait(owner, for: 9, deadline: 10)
        try await waitUntil("both waiters registered", deadlineSeconds: 10) { await owner.count == 2 }
        #expect(await owner.isFull)
        await owner.applied(4)
        #expect(await owner.count == 2, "nothing reaches index 5 at 4")
        await owner.applied(5)
        // A deadline rather than a bare await: a waiter that is never resumed must fail the test, not hang it.
        try await waitUntil("the waiter for index 5 is resumed at exactly 5", deadlineSeconds: 5) {
            await owner.count == 1
        }
        #expect(await early.value == "applied 5", "resumed at exactly its index")
        await owner.expire(now: 9)
        #expect(await owner.count == 1, "the late waiter's deadline is 10")
        await owner.expire(now: 10)
        #expect(await late.value == "failed")
        #expect(await owner.count == 0)
    }
}
