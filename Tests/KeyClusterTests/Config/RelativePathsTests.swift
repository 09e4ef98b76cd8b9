import Foundation
import KeyClusterTooling
import TestSupport
import Testing

@testable import KeyCluster

/// Paths in a configuration file are relative to the file (issue 15: `serve --config walk/…/node-1.json` from
/// the parent directory created a stray empty database in the working directory).
@Suite("configuration paths relative to the file")
struct RelativePathsTests {
    @Test("a local cluster's files name their neighbours relatively; loaded from anywhere they resolve beside the file")
    func localClusterFiles() throws {
        let directory = try TemporaryDirectory("relative-paths")
        defer { directory.remove() }
        let clusterDirectory = directory.appending("walk/keycluster-data")
        let layout = LocalClusterLayout(directory: clusterDirectory)
        _ = try layout.create(members: [.init(id: 1, region: "eu", peerPort: 17_301, clientPort: 18_301)])
        let raw = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: layout.configurationPath(of: 1)))) as? [String: Any])
        #expect(raw["dataDirectory"] as? String == "node-1", "written relative to the file")

        let loaded = try NodeConfiguration.load(from: layout.configurationPath(of: 1))
        #expect(loaded.dataDirectory == clusterDirectory + "/node-1")
        #expect(loaded.tls.caCertificate == clusterDirectory + "/ca.pem")
        #expect(
            FileManager.default.fileExists(atPath: loaded.tls.certificate)
                && FileManager.default.fileExists(atPath: loaded.tls.privateKey))
        #expect(loaded.tls.signingCertificate.map { FileManager.default.fileExists(atPath: $0) } == true)
        // A member configuration read as a client description: its CA resolves the same way.
        #expect(
            try ClientDescription.load(from: layout.configurationPath(of: 1)).caCertificate == clusterDirectory
                + "/ca.pem")
    }

    @Test(
        "absolute paths stay as written; relative ones join the file's directory, which stays relative when the file's path is"
    )
    func resolution() {
        #expect(
            RelativePaths.resolve("/var/lib/keycluster", nextTo: "/etc/keycluster/node.json") == "/var/lib/keycluster")
        #expect(RelativePaths.resolve("data", nextTo: "/etc/keycluster/node.json") == "/etc/keycluster/data")
        #expect(
            RelativePaths.resolve("node-1", nextTo: "walk/keycluster-data/node-1.json") == "walk/keycluster-data/node-1"
        )
        #expect(RelativePaths.resolve("node-1", nextTo: "node-1.json") == "node-1")
        #expect(RelativePaths.relative("/d/c/node-1", inside: "/d/c") == "node-1")
        #expect(RelativePaths.relative("/elsewhere/ca.pem", inside: "/d/c") == "/elsewhere/ca.pem")
    }
}

/// Decoding failures are told in the document's terms (issue 15: problem details showed
/// `DecodingError.keyNotFound … CodingKeys(stringValue: …)`).
@Suite("decoding problems in the document's terms")
struct DecodingProblemTests {
    struct Body: Decodable {
        struct Member: Decodable { var region: String }
        var members: [Member]
        var count: Int
    }

    @Test("missing fields, wrong types and broken JSON name the field path, never a Swift type")
    func described() {
        func problem(_ json: String) -> String {
            do {
                _ = try JSONDecoder().decode(Body.self, from: Data(json.utf8))
                return "decoded"
            } catch {
                return DecodingProblem.describe(error)
            }
        }
        #expect(problem(#"{"members":[{"region":"a"},{}],"count":1}"#) == #"missing field "members[1].region""#)
        #expect(problem(#"{"members":[],"count":"x"}"#) == #"field "count" must be an integer"#)
        #expect(problem(#"{"members":[],"count":null}"#) == #"field "count" must be an integer, not null"#)
        #expect(problem("{") == "not valid JSON")
        for text in [problem(#"{"count":1}"#), problem(#"{"members":3,"count":1}"#)] {
            #expect(
                !text.contains("CodingKeys") && !text.contains("DecodingError") && !text.contains("Swift."), "\(text)")
        }
    }
}
