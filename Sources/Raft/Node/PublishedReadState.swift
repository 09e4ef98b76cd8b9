import RaftCore
import Synchronization

/// What a read on the request path needs of its member — the commit and applied indexes, and the moment
/// its applied state is proven current as of — published by the node after each input it handles, so that
/// a read takes them without a hop onto the node's actor. Under load that actor is busy with ticks,
/// messages and writes; every hop a read makes waits behind them, and adds to the work they wait behind.
/// Each value is as current as the last input the node handled, which is what an actor call would see.
public final class PublishedReadState: Sendable {
    private let commit = Atomic<UInt64>(0)
    private let applied = Atomic<UInt64>(0)
    /// Nanoseconds from `origin` to the freshness stamp; `noStamp` when there is none.
    private let currentAsOfNanoseconds = Atomic<Int64>(PublishedReadState.noStamp)
    private let origin = ContinuousClock.now
    private static let noStamp = Int64.min

    init() {}

    public var commitIndex: LogIndex { commit.load(ordering: .acquiring) }
    public var appliedIndex: LogIndex { applied.load(ordering: .acquiring) }

    /// `RaftNode.stateCurrentAsOf()` as of the last input the node handled.
    public var stateCurrentAsOf: ContinuousClock.Instant? {
        let nanoseconds = currentAsOfNanoseconds.load(ordering: .acquiring)
        return nanoseconds == Self.noStamp ? nil : origin + .nanoseconds(nanoseconds)
    }

    func publish(commitIndex: LogIndex, appliedIndex: LogIndex, stateCurrentAsOf: ContinuousClock.Instant?) {
        commit.store(commitIndex, ordering: .releasing)
        applied.store(appliedIndex, ordering: .releasing)
        let nanoseconds = stateCurrentAsOf.map { instant in
            let (seconds, attoseconds) = (instant - origin).components
            return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }
        currentAsOfNanoseconds.store(nanoseconds ?? Self.noStamp, ordering: .releasing)
    }
}
