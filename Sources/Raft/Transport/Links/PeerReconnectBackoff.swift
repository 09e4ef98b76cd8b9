/// Reconnect delays: exponential from the initial to the maximum delay, with "equal jitter" (a random
/// delay between half the step and the full step), so that nodes that lost each other at the same moment
/// do not redial in lock-step, and no delay is ever near zero (no hot redial loop).
struct PeerReconnectBackoff: Sendable {
    let initialDelayMilliseconds: Int
    let maxDelayMilliseconds: Int

    init(initialDelayMilliseconds: Int, maxDelayMilliseconds: Int) {
        precondition(
            initialDelayMilliseconds >= 1 && maxDelayMilliseconds >= initialDelayMilliseconds,
            "backoff bounds out of order")
        self.initialDelayMilliseconds = initialDelayMilliseconds
        self.maxDelayMilliseconds = maxDelayMilliseconds
    }

    /// The delay before redial number `attempt` (0 for the first after a loss).
    func delayMilliseconds(attempt: Int, using generator: inout some RandomNumberGenerator) -> Int {
        precondition(attempt >= 0, "attempt must not be negative")
        // Cap the shift: beyond 30 doublings the step is past any sane maximum anyway, and shifting further overflows.
        let step = min(maxDelayMilliseconds, initialDelayMilliseconds << min(attempt, 30))
        let half = step / 2
        return half + Int.random(in: 0...(step - half), using: &generator)
    }
}
