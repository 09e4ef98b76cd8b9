import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Why a member could not be reached, in an operator's words: "connection refused", "timed out",
/// "TLS handshake failed" — not `connection reset (error set): Connection refused) (errno: 111)`.
public enum ConnectionFailure {
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout: return "connection timed out (the host is down, frozen or filtered)"
            case .deadlineExceeded, .readTimeout: return "no answer in time (the member is frozen or overloaded)"
            case .remoteConnectionClosed: return "the member closed the connection"
            case .cancelled: return "cancelled"
            default: return "HTTP failure: \(error.shortDescription)"
            }
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve \(error.host)" }
            return error.connectionErrors.first.map { describe($0.error) } ?? "cannot connect"
        case let error as IOError:
            return error.errnoCode == ECONNREFUSED
                ? "connection refused (nothing listens there)" : String(cString: strerror(error.errnoCode))
        case let error as ChannelError:
            if case .connectTimeout = error { return "connection timed out (the host is down, frozen or filtered)" }
            return "connection failed"
        case is NIOSSLError, is BoringSSLError:
            return "TLS handshake failed (is the member's certificate issued by the cluster CA the description names?)"
        default:
            return String(describing: error)
        }
    }
}
