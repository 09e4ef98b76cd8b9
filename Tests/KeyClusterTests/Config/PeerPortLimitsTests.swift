import Foundation
import RaftTransport
import Testing

@testable import KeyCluster

/// The `peer` object of a member's configuration (issue 12 item 3: the peer port's limits as named options):
/// how it decodes, what is refused, and that the server hands it to its peer transport.
@Suite("Peer-port limits in the configuration")
struct PeerPortLimitsTests {
    /// A valid three-member configuration whose JSON `peer` member is `peerJSON` (nil: absent).
    static func configuration(peerJSON: String?) throws -> NodeConfiguration {
        let peer = peerJSON.map { #", "peer": \#($0)"# } ?? ""
        let json = """
            {"id": 1, "dataDirectory": "/nonexistent",
             "members": [
               {"id": 1, "region": "eu-west", "peerAddress": "127.0.0.1:7001", "clientAddress": "127.0.0.1:8001"},
               {"id": 2, "region": "us-east", "peerAddress": "127.0.0.1:7002", "clientAddress": "127.0.0.1:8002"},
               {"id": 3, "region": "ap-south", "peerAddress": "127.0.0.1:7003", "clientAddress": "127.0.0.1:8003"}],
             "tls": {"caCertificate": "ca.pem", "certificate": "n.pem", "privateKey": "n-key.pem",
                     "signingCertificate": "s.pem", "signingPrivateKey": "s-key.pem"},
             "timing": {"tickMilliseconds": 100, "heartbeatTicks": 1, "electionTicks": 10}\(peer)}
            """
        return try JSONDecoder().decode(NodeConfiguration.self, from: Data(json.utf8))
    }

    @Test("absent, the peer object takes the transport's defaults; an empty one too")
    func absentTakesDefaults() throws {
        let absent = try Self.configuration(peerJSON: nil)
        #expect(absent.peer == nil)
        #expect(absent.effectivePeer == PeerPortLimits())
        let empty = try Self.configuration(peerJSON: "{}")
        #expect(empty.peer == PeerPortLimits())
        let transport = PeerTransportLimits()
        let limits = PeerPortLimits().transportLimits
        #expect(limits.handshakeTimeoutMilliseconds == transport.handshakeTimeoutMilliseconds)
        #expect(limits.maxUnverifiedConnections == transport.maxUnverifiedConnections)
        #expect(limits.maxUnverifiedConnectionsPerSource == transport.maxUnverifiedConnectionsPerSource)
        #expect(limits.deadPeerTimeoutMilliseconds == transport.deadPeerTimeoutMilliseconds)
        #expect(limits.maxConnectionWarningsPerSecond == transport.maxConnectionWarningsPerSecond)
        #expect(limits.maxFrameWarningsPerSecond == transport.maxFrameWarningsPerSecond)
        try absent.validate()
        try empty.validate()
    }

    @Test("a partial peer object changes only what it names")
    func partialObject() throws {
        let configuration = try Self.configuration(
            peerJSON: #"{"handshakeTimeoutMilliseconds": 8000, "maxUnverifiedConnectionsPerSource": 2}"#)
        try configuration.validate()
        #expect(
            configuration.effectivePeer
                == PeerPortLimits(handshakeTimeoutMilliseconds: 8_000, maxUnverifiedConnectionsPerSource: 2))
        #expect(configuration.effectivePeer.maxUnverifiedConnections == PeerPortLimits.defaultMaxUnverifiedConnections)
        #expect(
            configuration.effectivePeer.deadPeerTimeoutMilliseconds == PeerPortLimits.defaultDeadPeerTimeoutMilliseconds
        )
    }

    @Test(
        "out-of-range or inconsistent values are refused at validation, naming the field; a wrong type does not decode")
    func invalidValues() throws {
        let refused: [(String, String)] = [
            (#"{"handshakeTimeoutMilliseconds": 0}"#, "handshakeTimeoutMilliseconds"),
            (#"{"handshakeTimeoutMilliseconds": 60001}"#, "handshakeTimeoutMilliseconds"),
            (#"{"maxUnverifiedConnections": 0}"#, "maxUnverifiedConnections"),
            (#"{"maxUnverifiedConnections": 5000}"#, "maxUnverifiedConnections"),
            (#"{"maxUnverifiedConnectionsPerSource": -1}"#, "maxUnverifiedConnectionsPerSource"),
            (
                #"{"maxUnverifiedConnections": 4, "maxUnverifiedConnectionsPerSource": 5}"#,
                "must not exceed maxUnverifiedConnections"
            ),
            (#"{"deadPeerTimeoutMilliseconds": 1999}"#, "deadPeerTimeoutMilliseconds"),
            (#"{"deadPeerTimeoutMilliseconds": 600001}"#, "deadPeerTimeoutMilliseconds"),
            (#"{"maxConnectionWarningsPerSecond": 0}"#, "maxConnectionWarningsPerSecond"),
            (#"{"maxFrameWarningsPerSecond": 1001}"#, "maxFrameWarningsPerSecond"),
        ]
        for (json, named) in refused {
            let configuration = try Self.configuration(peerJSON: json)
            #expect(throws: NodeConfiguration.Invalid.self, "\(json)") { try configuration.validate() }
            do {
                try configuration.validate()
            } catch {
                #expect(error.reason.hasPrefix("peer ") && error.reason.contains(named), "\(json): \(error.reason)")
            }
            #expect(throws: NodeConfiguration.Invalid.self, "\(json): the server refuses it too") {
                _ = try KeyClusterServer(configuration: configuration)
            }
        }
        #expect(throws: DecodingError.self) {
            try Self.configuration(peerJSON: #"{"handshakeTimeoutMilliseconds": "3s"}"#)
        }
        #expect(throws: DecodingError.self) { try Self.configuration(peerJSON: "12") }
        let bounds = PeerPortLimits(
            handshakeTimeoutMilliseconds: 200, maxUnverifiedConnections: 1, maxUnverifiedConnectionsPerSource: 1,
            deadPeerTimeoutMilliseconds: 600_000, maxConnectionWarningsPerSecond: 1, maxFrameWarningsPerSecond: 1_000)
        #expect(bounds.refusal == nil, "the ends of every range are allowed")
    }

    @Test("the server's peer transport runs with the configured limits")
    func serverPassesThemThrough() throws {
        let configuration = try Self.configuration(
            peerJSON: """
                {"handshakeTimeoutMilliseconds": 7000, "maxUnverifiedConnections": 12, "maxUnverifiedConnectionsPerSource": 3,
                 "deadPeerTimeoutMilliseconds": 15000, "maxConnectionWarningsPerSecond": 4, "maxFrameWarningsPerSecond": 2}
                """)
        let server = try KeyClusterServer(configuration: configuration)
        let transport = try server.peerTransportConfiguration(me: try configuration.me)
        #expect(transport.limits.handshakeTimeoutMilliseconds == 7_000)
        #expect(transport.limits.maxUnverifiedConnections == 12)
        #expect(transport.limits.maxUnverifiedConnectionsPerSource == 3)
        #expect(transport.limits.deadPeerTimeoutMilliseconds == 15_000)
        #expect(transport.limits.maxConnectionWarningsPerSecond == 4)
        #expect(transport.limits.maxFrameWarningsPerSecond == 2)
        #expect(
            transport.limits.maxFrameBytes == PeerTransportLimits().maxFrameBytes,
            "limits the configuration does not name keep their defaults")
        #expect(transport.peers.count == 2 && transport.listenPort == 7_001)

        let defaults = try KeyClusterServer(configuration: try Self.configuration(peerJSON: nil))
        let defaultTransport = try defaults.peerTransportConfiguration(me: try defaults.configuration.me)
        #expect(
            defaultTransport.limits.handshakeTimeoutMilliseconds == PeerTransportLimits().handshakeTimeoutMilliseconds)
        #expect(defaultTransport.limits.maxUnverifiedConnections == PeerTransportLimits().maxUnverifiedConnections)
    }
}
