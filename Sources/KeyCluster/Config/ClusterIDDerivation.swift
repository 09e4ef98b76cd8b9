import Crypto
import Foundation
import RaftNode
import SwiftASN1

/// How a cluster's id is fixed without any member talking to another: every member of a new cluster
/// derives it from what they all share — the CA they trust, the initial members (id, region, peer address)
/// and the operator's `initialClusterToken` — so all agree, and another cluster (other CA, other members or
/// other token) gets another id. A restore derives a new one from the backup's digest as well: a cluster
/// restored from a backup is a new cluster, never the one the backup was taken from.
public enum ClusterIDDerivation {
    /// A problem reading what the id is derived from.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The id of a cluster bootstrapped from `configuration`.
    public static func bootstrap(_ configuration: NodeConfiguration) throws -> ClusterID {
        try derive(purpose: "bootstrap", configuration: configuration, extra: [])
    }

    /// The id of the cluster that `restore` builds from a backup whose SHA-256 digest is `backupDigest`.
    public static func restore(_ configuration: NodeConfiguration, backupDigest: [UInt8]) throws -> ClusterID {
        try derive(purpose: "restore", configuration: configuration, extra: backupDigest)
    }

    private static func derive(purpose: String, configuration: NodeConfiguration, extra: [UInt8]) throws -> ClusterID {
        var hash = SHA256()
        func field(_ bytes: [UInt8]) {
            hash.update(data: withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { Array($0) })
            hash.update(data: bytes)
        }
        field(Array("keycluster cluster id \(purpose)".utf8))
        field(Array((configuration.initialClusterToken ?? "").utf8))
        // Certificates of the CA file, in a canonical order (the file's text and order may differ per server).
        for der in try caCertificates(configuration.tls.caCertificate).sorted(by: { $0.lexicographicallyPrecedes($1) })
        {
            field(der)
        }
        // Initial voters only: a joining member never derives an id (it adopts the cluster's).
        for member in configuration.members.sorted(by: { $0.id < $1.id }) {
            field(Array("\(member.id)|\(member.region)|\(member.peerAddress)".utf8))
        }
        field(extra)
        let digest = Array(hash.finalize())
        guard let id = ClusterID(bytes: digest.prefix(ClusterID.byteCount)) else {
            // Sixteen zero bytes from SHA-256: not a thing that happens.
            preconditionFailure("derived cluster id is all zeros")
        }
        return id
    }

    private static func caCertificates(_ path: String) throws -> [[UInt8]] {
        let pem: String
        do {
            pem = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Unavailable(description: "cannot read the CA file \(path)")
        }
        guard let documents = try? PEMDocument.parseMultiple(pemString: pem), !documents.isEmpty else {
            throw Unavailable(description: "the CA file \(path) holds no PEM certificate")
        }
        return documents.map(\.derBytes)
    }
}
