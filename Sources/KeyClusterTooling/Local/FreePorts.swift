import Foundation
import KeyCluster

/// Loopback TCP ports that were free a moment ago: the kernel picks them (bind to port 0), we close the
/// sockets and hand the numbers to the processes a test starts. Another process could take one in between;
/// on this single-purpose machine that has not been seen, and the test then fails to bind, loudly.
public enum FreePorts {
    public struct Unavailable: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "could not reserve a free port: \(reason)" }
    }

    public static func allocate(_ count: Int) throws -> [Int] {
        precondition(count > 0, "ask for at least one port")
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw Unavailable(reason: String(cString: strerror(errno))) }
            sockets.append(descriptor)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw Unavailable(reason: String(cString: strerror(errno))) }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            guard named == 0 else { throw Unavailable(reason: String(cString: strerror(errno))) }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
