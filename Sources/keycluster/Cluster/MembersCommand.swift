import ArgumentParser
import AsyncHTTPClient
import Foundation
import KeyCluster

/// `keycluster cluster members [list|add|promote|remove]`: the operator's membership changes (docs/membership.md).
/// Each change goes to the leader, found by asking any member; refusals print the server's reason.
struct MembersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "members",
        abstract: "List and change the cluster's members (needs an operator certificate).",
        subcommands: [List.self, Add.self, Promote.self, Remove.self],
        defaultSubcommand: List.self
    )

    /// A member list as text, or as JSON with `--json`; `done` names the change just made.
    static func print(_ options: ClusterOptions, _ list: MemberListResponse, done: String? = nil) {
        if options.json {
            try? options.printJSON(list)
            return
        }
        if let done { Swift.print("\(done)" + (list.revision.map { " at revision \($0)" } ?? "")) }
        Swift.print(
            "term \(list.term), leader \(list.leader.map(String.init) ?? "none"), commit \(list.commitIndex)"
                + (list.changePending ? ", a change is pending" : "")
                + (list.leader == list.servedBy ? "" : " (lag is shown by the leader only)"))
        for member in list.members {
            let leader = member.id == list.leader ? " leader" : ""
            Swift.print(
                "member \(member.id) (\(member.region)) \(member.role)\(leader): peer \(member.peerAddress ?? "?"), "
                    + "client \(member.clientAddress ?? "?")" + (member.lagEntries.map { ", lag \($0) entries" } ?? ""))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each member's region, role, addresses and (from the leader) lag.")

        @OptionGroup var options: ClusterOptions

        func run() async throws {
            try await options.withSession { session in MembersCommand.print(options, try await session.listFromLeader())
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a learner: a member started with \"join\": true, which then catches up from the leader.")

        @OptionGroup var access: MemberAddOptions

        @Option(help: "The new member's id (never one used before).")
        var id: UInt64

        @Option(help: "Its region.")
        var region: String

        @Option(help: "Where members reach its Raft transport (host:port).")
        var peerAddress: String

        @Option(help: "Where clients reach its HTTPS API (host:port).")
        var clientAddress: String

        @Flag(help: "Accept a placement where one region holds a quorum.")
        var force = false

        @Option(
            help:
                "Wait up to this many seconds for the learner to catch up (progress on standard error), then exit 3 if it has not; 0: do not wait."
        )
        var waitSeconds = 0

        /// Lag at which a learner counts as caught up for `--wait-seconds` (the leader's promotion check decides for real).
        static let caughtUpLagEntries: UInt64 = 100
        /// How often `--wait-seconds` asks the leader for the learner's lag (one line of progress each time).
        static let catchUpPollInterval: Duration = .seconds(1)

        func run() async throws {
            struct Body: Encodable {
                var id: UInt64
                var region, peerAddress, clientAddress: String
                var force: Bool
            }
            let body = try JSONEncoder().encode(
                Body(id: id, region: region, peerAddress: peerAddress, clientAddress: clientAddress, force: force))
            let options = access.cluster
            try await options.withSession { session in
                MembersCommand.print(
                    options,
                    try await session.change(
                        "/v1/cluster/members", body: Array(body), inEffect: MembershipSession.includes(id)),
                    done: "added learner \(id) (\(region))")
                guard waitSeconds > 0 else { return }
                try await waitForCatchUp(session, progress: Progress(silent: options.json))
            }
        }

        /// Polls the leader's view of the learner's lag once a second, printing it, until it is caught up.
        private func waitForCatchUp(_ session: MembershipSession, progress: Progress) async throws {
            let deadline = ContinuousClock.now + .seconds(waitSeconds)
            while true {
                let lag = try await session.listFromLeader().members.first { $0.id == id }?.lagEntries
                if let lag, lag <= Self.caughtUpLagEntries {
                    progress.say(
                        "learner \(id): caught up (lag \(lag) entries); promote it with `keycluster cluster members promote \(id)`"
                    )
                    return
                }
                progress.say("learner \(id): " + (lag.map { "\($0) entries behind" } ?? "not heard from yet"))
                guard ContinuousClock.now < deadline else {
                    throw CLIError(
                        "learner \(id) has not caught up within \(waitSeconds) s",
                        cause: lag.map { "\($0) entries behind" } ?? "the leader has not heard from it",
                        hint: "check that it runs with \"join\": true and that the leader can reach \(peerAddress)",
                        exitStatus: .unavailable)
                }
                try await Task.sleep(for: Self.catchUpPollInterval)
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a caught-up learner a voter (refused while it lags).")

        @OptionGroup var options: ClusterOptions

        @Argument(help: "The learner's id.")
        var id: UInt64

        @Flag(help: "Accept a placement where one region holds a quorum.")
        var force = false

        func run() async throws {
            try await options.withSession { session in
                MembersCommand.print(
                    options,
                    try await session.change(
                        "/v1/cluster/members/\(id)/promote", force: force,
                        inEffect: MembershipSession.includes(id, as: "voter")), done: "promoted \(id) to voter")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a voter or learner (the leader too: it steps down).")

        @OptionGroup var options: ClusterOptions

        @Argument(help: "The member's id.")
        var id: UInt64

        @Flag(help: "Accept a placement where one region holds a quorum.")
        var force = false

        func run() async throws {
            try await options.withSession { session in
                MembersCommand.print(
                    options,
                    try await session.change(
                        "/v1/cluster/members/\(id)/remove", force: force, inEffect: MembershipSession.excludes(id)),
                    done: "removed \(id)")
            }
        }
    }
}

extension ClusterOptions {
    /// Runs `body` with an operator membership session over the described members (--region's first); the
    /// client is always shut down and failures are told as a `CLIError`, diagnosed as `withCluster` does.
    func withSession(_ body: (MembershipSession) async throws -> Void) async throws {
        let description = try description()
        let http = try makeHTTPClient(asOperator: true, description: description)
        do {
            try await body(
                MembershipSession(http: http, addresses: membersInAskingOrder(description).map(\.clientAddress)))
        } catch {
            let failure = await Self.diagnosed(CLIError(describing: error), description: description, http: http)
            try? await http.shutdown()
            throw failure
        }
        try await http.shutdown()
    }
}
