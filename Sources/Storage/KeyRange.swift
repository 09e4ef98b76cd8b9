/// A range of keys in byte-wise lexicographic order (LMDB's default order): everything at or above
/// `lowerBound` and strictly below `upperBound`; a nil bound is open.
public struct KeyRange: Sendable, Equatable {
    public let lowerBound: [UInt8]?
    public let upperBound: [UInt8]?

    public init(from lowerBound: [UInt8]? = nil, upTo upperBound: [UInt8]? = nil) {
        if let lowerBound, let upperBound {
            precondition(!upperBound.lexicographicallyPrecedes(lowerBound), "key range upper bound below lower bound")
        }
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// Every key.
    public static let all = KeyRange()

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: [UInt8]) -> KeyRange {
        KeyRange(from: prefix, upTo: successor(ofPrefix: prefix))
    }

    /// The smallest key greater than every key starting with `prefix`, or nil when there is none
    /// (the prefix is empty or all 0xFF bytes).
    static func successor(ofPrefix prefix: [UInt8]) -> [UInt8]? {
        var bound = prefix
        while let last = bound.last {
            if last < 0xFF {
                bound[bound.count - 1] = last + 1
                return bound
            }
            bound.removeLast()
        }
        return nil
    }

    func isAboveLowerBound(_ key: UnsafeRawBufferPointer) -> Bool {
        guard let lowerBound else { return true }
        return !key.lexicographicallyPrecedes(lowerBound)
    }

    func isBelowUpperBound(_ key: UnsafeRawBufferPointer) -> Bool {
        guard let upperBound else { return true }
        return key.lexicographicallyPrecedes(upperBound)
    }

    func contains(_ key: UnsafeRawBufferPointer) -> Bool {
        isAboveLowerBound(key) && isBelowUpperBound(key)
    }
}
