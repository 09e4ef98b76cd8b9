import Foundation
import KeyCluster
import NIOSSL

/// What `serve` checks before it opens anything, so a mistake is named with its file or port instead of
/// surfacing later as `failedToLoadCertificate` or `bind(…): Address already in use (errno: 98)`.
enum ServePreflight {
    /// Every TLS file the configuration names loads as PEM, and both listen ports are free.
    static func check(_ configuration: NodeConfiguration, configPath: String?) throws {
        let origin = configPath.map { "named in \($0)" } ?? "of the development cluster"
        let tls = configuration.tls
        try PEMFileCheck.certificate(tls.caCertificate, role: "cluster CA certificate", origin: origin)
        try PEMFileCheck.certificate(tls.certificate, role: "member certificate", origin: origin)
        try PEMFileCheck.privateKey(tls.privateKey, role: "member private key", origin: origin)
        if let signing = tls.signingCertificate {
            try PEMFileCheck.certificate(signing, role: "token-signing certificate", origin: origin)
        }
        if let signingKey = tls.signingPrivateKey {
            try PEMFileCheck.privateKey(signingKey, role: "token-signing private key", origin: origin)
        }
        let me = try configuration.me
        try portFree(me.peerAddress, role: "peer", key: "peerAddress", configPath: configPath)
        try portFree(me.clientAddress, role: "client (HTTPS)", key: "clientAddress", configPath: configPath)
    }

    /// Binds `address` once and releases it: in use means another process (often another member) has it.
    private static func portFree(_ address: String, role: String, key: String, configPath: String?) throws {
        let endpoint = try NodeConfiguration.endpoint(address, of: key)
        guard let failure = bindProbe(host: endpoint.host, port: endpoint.port) else { return }
        let file = configPath ?? "the development configuration"
        throw CLIError(
            "cannot listen on the \(role) port \(address)", cause: failure,
            hint: failure.contains("in use")
                ? "another process listens there (another member? `ss -ltnp 'sport = :\(endpoint.port)'`); stop it or change \(key) in \(file)"
                : "use an address of this machine for \(key) in \(file)")
    }

    /// nil when `host:port` can be bound now; else the system's reason.
    static func bindProbe(host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            return "cannot resolve \(host)"
        }
        defer { freeaddrinfo(list) }
        let descriptor = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }  // no socket to probe with: let the server report
        defer { close(descriptor) }
        var on: Int32 = 1
        // As the server binds: a port in TIME_WAIT from a previous run is free.
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            return errno == EADDRINUSE ? "address already in use" : String(cString: strerror(errno))
        }
        return nil
    }
}
