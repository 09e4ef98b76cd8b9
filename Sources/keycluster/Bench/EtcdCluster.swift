import Foundation
import KeyCluster
import KeyClusterTooling

/// Three etcd 3.4 members (Debian's `etcd-server`) on loopback, as the side-by-side peer in benchmarks.
///
/// They use TLS on both client and peer links, with certificates from the same cluster CA as KeyCluster,
/// so both systems pay for encryption. `stop()` kills them and removes their data.
final class EtcdCluster {
    let directory: String
    let clientURLs: [String]
    private var processes: [Process] = []

    /// Where Debian installs etcd; the benchmark installs the package when it is missing.
    static let executable = "/usr/bin/etcd"

    init(layout: LocalClusterLayout, members: Int) throws {
        directory = layout.directory + "/etcd"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ports = try FreePorts.allocate(members * 2)
        let names = (1...members).map { "etcd\($0)" }
        let peerURLs = (0..<members).map { "https://127.0.0.1:\(ports[2 * $0])" }
        clientURLs = (0..<members).map { "https://127.0.0.1:\(ports[2 * $0 + 1])" }
        let initialCluster = zip(names, peerURLs).map { "\($0)=\($1)" }.joined(separator: ",")
        // etcd members reuse KeyCluster node certificates: they name 127.0.0.1 and allow server and client use.
        let credentials = try layout.create(
            members: (0..<members).map {
                .init(
                    id: UInt64(100 + $0), region: "etcd-\($0 + 1)", peerPort: ports[2 * $0],
                    clientPort: ports[2 * $0 + 1])
            })
        for offset in 0..<members {
            let tls = credentials[offset].tls
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = [
                "--name", names[offset], "--data-dir", "\(directory)/\(names[offset])",
                "--listen-peer-urls", peerURLs[offset], "--initial-advertise-peer-urls", peerURLs[offset],
                "--listen-client-urls", clientURLs[offset], "--advertise-client-urls", clientURLs[offset],
                "--initial-cluster", initialCluster, "--initial-cluster-state", "new",
                "--cert-file", tls.certificate, "--key-file", tls.privateKey,
                "--peer-cert-file", tls.certificate, "--peer-key-file", tls.privateKey,
                "--peer-trusted-ca-file", tls.caCertificate, "--peer-client-cert-auth",
                "--log-level", "error",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
    }

    /// The etcd members' process ids, for their CPU time.
    var pids: [pid_t] { processes.filter(\.isRunning).map(\.processIdentifier) }

    func stop() {
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        processes.removeAll()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
