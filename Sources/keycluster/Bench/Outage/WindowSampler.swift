import Foundation
import Synchronization

/// Takes each member's memory and CPU time, and the generator's CPU time, at every report window's start
/// and end (and once more when the drain ends), so each window reports what it cost and what it held.
final class WindowSampler: Sendable {
    struct Sample: Sendable {
        var at: ContinuousClock.Instant
        var members: [UInt64: ClusterWatch.MemberSample]
        var generatorCPUSeconds: Double
    }

    let watch: ClusterWatch
    private let taken = Mutex<[Sample]>([])

    init(watch: ClusterWatch) {
        self.watch = watch
    }

    /// Samples at the storm's start and at every window boundary up to its end.
    func run() async {
        let clock = watch.clock
        for boundary in 0...clock.windowCount {
            let at = min(clock.end, clock.start + .seconds(boundary * StormClock.windowSeconds))
            try? await Task.sleep(until: at, clock: .continuous)
            sampleNow()
        }
    }

    func sampleNow() {
        let sample = Sample(at: .now, members: watch.sample(), generatorCPUSeconds: CPUMeter.selfSeconds())
        taken.withLock { $0.append(sample) }
    }

    /// Samples in time order: window `i` runs from sample `i` to sample `i + 1`; the last pair is the drain.
    var samples: [Sample] { taken.withLock { $0 } }
}
