import AsyncHTTPClient
import Foundation
import KeyCluster
import TestSupport
import Testing

/// The status page in a real (headless) browser against a real 3-member cluster: the page's own script,
/// allowed by its Content-Security-Policy, fills in every member, its region and the leader; after the
/// leader is killed the page shows the new one and the dead member unreachable.
@Suite("Status page in a browser", .serialized)
struct StatusPageBrowserTests {
    static let regions = ["eu-west", "us-east", "ap-south"]

    /// The opening tag of each member card in a dumped DOM, as its attributes, by member id.
    static func memberCards(_ dom: String) -> [UInt64: [String: String]] {
        var cards: [UInt64: [String: String]] = [:]
        for tag in dom.components(separatedBy: "<div ").dropFirst() {
            let head = tag.prefix { $0 != ">" }
            var attributes: [String: String] = [:]
            for part in head.components(separatedBy: "\" ") {
                let pair = part.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                attributes[pair[0].trimmingCharacters(in: .whitespaces)] = pair[1].trimmingCharacters(
                    in: CharacterSet(charactersIn: "\""))
            }
            if let id = attributes["data-member-id"].flatMap(UInt64.init) { cards[id] = attributes }
        }
        return cards
    }

    @Test(
        "members by region and the leader; after the leader is killed, the new leader and the dead member unreachable",
        .enabled(
            if: HeadlessChromium.path != nil,
            "chromium is not installed (Debian package chromium; Deploy/install-deps.sh as root)"))
    func statusPageFollowsTheCluster() async throws {
        try await TemporaryDirectory.with("status-page") { directory in
            let browser = try #require(HeadlessChromium(profilesIn: directory.path))
            try await withProcessCluster(regions: Self.regions) { cluster in
                let leader = try await cluster.waitForLeader()
                let viewer = try #require(cluster.ids.first { $0 != leader })
                // One replicated write, for the write counter the page's rate is drawn from.
                let revision = try await cluster.put("status-page", via: leader)
                try await cluster.waitForApplied(revision)
                let page = "https://\(try #require(cluster.member(viewer)).clientAddress)/"

                var request = HTTPClientRequest(url: page)
                request.method = .GET
                let response = try await cluster.http.execute(request, timeout: .seconds(10))
                #expect(response.status.code == 200)
                #expect(response.headers.first(name: "content-type") == "text/html; charset=utf-8")
                #expect(response.headers.first(name: "cache-control") == "no-store")
                let policy = response.headers.first(name: "content-security-policy") ?? ""
                #expect(
                    policy.contains("default-src 'none'") && policy.contains("script-src 'sha256-")
                        && policy.contains("connect-src 'self'"))

                // Every member, its region, and the leader marked; links all up; each member's own applied index.
                var cards: [UInt64: [String: String]] = [:]
                try await waitUntil("the page shows every member and leader \(leader)", deadlineSeconds: 120) {
                    cards = Self.memberCards(try await browser.dumpDOM(page))
                    return Set(cards.keys) == Set(cluster.ids) && cards[leader]?["data-role"] == "leader"
                        && cards.values.allSatisfy { $0["data-link"] == "reachable" || $0["data-link"] == "self" }
                        && cards.values.allSatisfy { card in
                            card["data-applied"].flatMap(UInt64.init).map { $0 >= revision } == true
                        }
                }
                for id in cluster.ids {
                    #expect(cards[id]?["data-region"] == cluster.region(of: id), "member \(id)")
                    #expect(
                        (cards[id]?["data-role"] == "leader") == (id == leader), "member \(id): \(cards[id] ?? [:])")
                }
                #expect(cards[viewer]?["data-link"] == "self")

                let screenshot = directory.appending("status.png")
                try await browser.screenshot(page, to: screenshot)
                let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
                #expect(
                    png.count > 1_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
                    "\(png.count) bytes")

                // The leader dies; the page shows whoever leads next and the dead member unreachable.
                _ = cluster.kill(leader)
                let successor = try await cluster.waitForLeader()
                #expect(successor != leader)
                try await waitUntil(
                    "the page shows leader \(successor) and member \(leader) unreachable", deadlineSeconds: 120
                ) {
                    let dom = try await browser.dumpDOM(page)
                    cards = Self.memberCards(dom)
                    return cards[successor]?["data-role"] == "leader" && cards[leader]?["data-link"] == "unreachable"
                        && cards[leader]?["data-role"] != "leader" && dom.contains("data-leader=\"\(successor)\"")
                        && cards[leader]?["data-applied"] == nil && cards[successor]?["data-term"] != nil
                }
                // The same from the status document the page reads.
                let status = try await cluster.status(viewer)
                #expect(status.members.first { $0.id == leader }?.link == .unreachable)
                #expect(
                    status.leaderChanges?.last?.leader == successor
                        && status.leaderChanges?.contains { $0.leader == leader } == true)
                #expect(status.unlocksDecided != nil && (status.writesApplied ?? 0) > 0 && status.alarms == [])
            }
        }
    }
}
