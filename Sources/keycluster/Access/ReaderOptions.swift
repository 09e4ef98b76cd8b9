import ArgumentParser
import KeyCluster

/// Who reads a vehicle (its state, audit, key list): a key holder signing with `--key`, or, without it, the
/// operator certificate of the cluster description. Anonymous reads are refused by every member.
struct ReaderOptions: ParsableArguments {
    @Option(name: .customLong("key"), help: "Read as this key holder (its key file); without it, as the operator.")
    var keyPath: String?

    /// The key holder that signs the read, or nil to read with the operator certificate.
    func holder() throws -> KeyHolder? { try keyPath.map { try KeyFile.holder(at: $0) } }

    var asOperator: Bool { keyPath == nil }
}
