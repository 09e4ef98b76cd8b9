/// Simulated time, in units of `Simulation.unitsPerTick` per core tick.
typealias SimTime = Int

/// A min-heap of timed events. Ties are broken by insertion order so a run is a pure function of its seed.
struct EventQueue<Event> {
    private struct Scheduled {
        let time: SimTime
        let sequence: Int
        let event: Event

        func precedes(_ other: Scheduled) -> Bool {
            (time, sequence) < (other.time, other.sequence)
        }
    }

    private var heap: [Scheduled] = []
    private var nextSequence = 0

    var isEmpty: Bool { heap.isEmpty }

    mutating func schedule(_ event: Event, at time: SimTime) {
        heap.append(Scheduled(time: time, sequence: nextSequence, event: event))
        nextSequence += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popEarliest() -> (time: SimTime, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let earliest = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count && heap[right].precedes(heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (earliest.time, earliest.event)
    }
}

/// The last `capacity` items, oldest first: the trace printed when an invariant fails.
struct RingBuffer<Element> {
    let capacity: Int
    private var storage: [Element] = []
    private var start = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a ring buffer needs room")
        self.capacity = capacity
    }

    mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[start] = element
            start = (start + 1) % capacity
        }
    }

    var elements: [Element] { Array(storage[start...] + storage[..<start]) }
}
