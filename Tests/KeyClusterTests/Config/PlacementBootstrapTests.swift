import KeyCluster
import RaftCore
import Testing

@Suite("Bootstrap placement safety")
struct PlacementBootstrapTests {
    func configuration(regions: [String]) -> NodeConfiguration {
        NodeConfiguration(
            id: 1, dataDirectory: "/nonexistent",
            members: regions.enumerated().map { offset, region in
                .init(
                    id: UInt64(offset + 1), region: region, peerAddress: "127.0.0.1:\(7_000 + offset)",
                    clientAddress: "127.0.0.1:\(8_000 + offset)")
            },
            tls: .init(
                caCertificate: "ca.pem", certificate: "n.pem", privateKey: "n-key.pem", signingCertificate: "s.pem",
                signingPrivateKey: "s-key.pem"))
    }

    @Test("a cluster where one region holds a quorum is refused, with the reason and how to force it")
    func quorumInOneRegionIsRefused() throws {
        let error = #expect(throws: NodeConfiguration.Invalid.self) {
            try configuration(regions: ["eu", "eu", "us"]).validate()
        }
        #expect(error?.reason.contains("losing region eu would lose the quorum") == true)
        #expect(error?.reason.contains("forceUnsafePlacement") == true)
        var forced = configuration(regions: ["eu", "eu", "us"])
        forced.forceUnsafePlacement = true
        try forced.validate()
    }

    @Test("1-1-1 and 2-2-1 spreads, and a one-member development cluster, are accepted")
    func safeSpreadsAreAccepted() throws {
        try configuration(regions: ["eu", "us", "ap"]).validate()
        try configuration(regions: ["eu", "eu", "us", "us", "ap"]).validate()
        try configuration(regions: ["local"]).validate()
    }

    @Test(
        "a joining member does not bootstrap: it is not among its starting voters, knows the others' addresses, and must list someone to hear from"
    )
    func joiningMember() throws {
        var joining = configuration(regions: ["eu", "us", "ap", "eu"])
        joining.id = 4
        joining.join = true
        try joining.validate()
        let membership = joining.bootstrapMembership
        #expect(membership.voters.map(\.rawValue) == [1, 2, 3])
        #expect(membership.addresses[NodeID(1)] == MemberAddresses(peer: "127.0.0.1:7000", client: "127.0.0.1:8000"))
        var alone = configuration(regions: ["eu"])
        alone.join = true
        #expect(throws: NodeConfiguration.Invalid.self) { try alone.validate() }
    }
}
