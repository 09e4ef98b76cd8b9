import Foundation

/// Refuses configuration keys the member does not know, naming the nearest one: a misspelt
/// `maxStalenesMilliseconds` or `tickMiliseconds` would otherwise be ignored silently and the default used.
///
/// The known keys are the stored properties of the configuration types (their Codable keys are synthesized
/// from the property names), read with `Mirror` from default instances, so a new field is known at once.
enum ConfigurationKeys {
    /// Known keys of the top level, and of each nested object by its key (`members` holds an array of them).
    static let topLevel = keys(of: example)
    static let nested: [String: Set<String>] = [
        "members": keys(of: example.members[0]),
        "tls": keys(of: example.tls),
        "timing": keys(of: example.timing),
        "snapshots": keys(of: NodeConfiguration.Snapshots()),
        "admission": keys(of: AdmissionLimits()),
        "quota": keys(of: StorageQuota()),
        "peer": keys(of: PeerPortLimits()),
    ]

    /// A configuration with every optional section present, for its keys only.
    private static var example: NodeConfiguration {
        NodeConfiguration(
            id: 1, dataDirectory: "", members: [.init(id: 1, region: "", peerAddress: "", clientAddress: "")],
            tls: .init(caCertificate: "", certificate: "", privateKey: ""))
    }

    private static func keys(of value: Any) -> Set<String> {
        Set(Mirror(reflecting: value).children.compactMap(\.label))
    }

    /// The first unknown key in the JSON object `data`, as a reason naming its place and the nearest known
    /// key; nil when every key is known (or the text is not a JSON object: decoding reports that).
    static func unknownKey(in data: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        if let reason = unknown(in: object, known: topLevel, place: "") { return reason }
        for (section, known) in nested.sorted(by: { $0.key < $1.key }) {
            if let inner = object[section] as? [String: Any],
                let reason = unknown(in: inner, known: known, place: "\(section).")
            {
                return reason
            }
            if let items = object[section] as? [Any] {
                for case let inner as [String: Any] in items {
                    if let reason = unknown(in: inner, known: known, place: "\(section)[].") { return reason }
                }
            }
        }
        return nil
    }

    private static func unknown(in object: [String: Any], known: Set<String>, place: String) -> String? {
        guard let key = object.keys.sorted().first(where: { !known.contains($0) }) else { return nil }
        let nearest = known.min { distance(key, $0) < distance(key, $1) }
        let hint =
            nearest.map { distance(key, $0) <= max(3, key.count / 3) ? " (did you mean \"\(place)\($0)\"?)" : "" } ?? ""
        return "unknown key \"\(place)\(key)\"\(hint)"
    }

    /// Edit distance (insertions, deletions, substitutions) between two short names.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased())
        let b = Array(b.lowercased())
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
