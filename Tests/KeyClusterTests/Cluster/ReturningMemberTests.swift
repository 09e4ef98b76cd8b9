import Foundation
import KeyCluster
import KeyClusterTooling
import TestSupport
import Testing

/// The consistency promises on members as they come back (design §6): a member frozen (SIGSTOP — a hung
/// machine sends no reset) or killed and restarted with its old state is asked, *while it returns*, for
/// strict and bounded unlocks of a key revoked while it was away. Any token is a broken promise: the revoke
/// was acknowledged longer than `maxStalenessMilliseconds` before every such request. And a strict unlock
/// sent right after a grant's acknowledgement is never refused from a member's older local state.
@Suite("Returning members keep the staleness bound; strict answers follow acknowledged grants", .serialized)
struct ReturningMemberTests {
    let api = KeyAuthorizationAPITests()
    static let maxStalenessMilliseconds = 1_500
    /// How long the member stays away after the revoke is acknowledged: past the bound, with margin.
    static let awayAfterRevoke: Duration = .milliseconds(maxStalenessMilliseconds + 500)
    /// How long the returning member is probed.
    static let probeWindow: Duration = .seconds(3)
    /// Concurrent probers.
    static let proberCount = 4

    /// Every answer a prober got, modelled whole: tokens, refusals and errors.
    struct Answers: Sendable {
        var tokens: [String] = []
        var refusals = 0
        var unavailable = 0
        var unreachable = 0
    }

    /// Asks `member` for strict and bounded unlocks of `holder`'s key until the window ends.
    func probe(
        _ member: UInt64, in cluster: LocalClusterProcesses, holder: KeyHolder, verifier: UnlockTokenVerifier
    ) async -> Answers {
        let end = ContinuousClock.now + Self.probeWindow
        return await withTaskGroup(of: Answers.self) { group in
            for prober in 0..<Self.proberCount {
                group.addTask {
                    var answers = Answers()
                    while ContinuousClock.now < end {
                        let consistency = prober % 2 == 0 ? "bounded" : nil
                        do {
                            let token = try await api.command(
                                holder, "unlock", via: cluster.client(member), minRevision: 0, verifier: verifier,
                                consistency: consistency)
                            answers.tokens.append("\(token.consistency) token at revision \(token.revision)")
                        } catch MemberClient.CallError.problem(let status, _, _, _, _) where status == 403 {
                            answers.refusals += 1
                        } catch MemberClient.CallError.problem(let status, _, _, _, _)
                            where status == 503 || status == 429
                        {
                            answers.unavailable += 1
                        } catch {
                            answers.unreachable += 1
                        }
                    }
                    return answers
                }
            }
            var all = Answers()
            for await answers in group {
                all.tokens += answers.tokens
                all.refusals += answers.refusals
                all.unavailable += answers.unavailable
                all.unreachable += answers.unreachable
            }
            return all
        }
    }

    /// An owner, a guest granted and applied everywhere; returns the guest.
    func enrolledWithGuest(_ cluster: LocalClusterProcesses, _ operatorClient: MemberClient, owner: KeyHolder)
        async throws -> KeyHolder
    {
        let guest = KeyHolder()
        let enrolled = try await api.register(owner: owner, via: operatorClient)
        let leader = try await cluster.waitForLeader()
        let granted = try await api.signed(
            owner, cluster.client(leader),
            path: "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)/keys?minRevision=\(enrolled)",
            command: "grant", body: try api.grantBody(guest, role: "driver"))
        try await cluster.waitForApplied(granted)
        return guest
    }

    /// Revokes through `leader` (asked directly: a frozen member cannot take part in finding it).
    func revoke(_ guest: KeyHolder, by owner: KeyHolder, via leader: UInt64, in cluster: LocalClusterProcesses)
        async throws
    {
        _ = try await api.signed(
            owner, cluster.client(leader),
            path: "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)/keys/\(guest.keyID.text)/revoke",
            command: "revoke")
    }

    /// The member answers the owner again (bounded or strict) once back: returning is not the same as dead.
    func expectServesOwner(
        _ member: UInt64, _ cluster: LocalClusterProcesses, owner: KeyHolder, verifier: UnlockTokenVerifier
    ) async throws {
        try await waitUntil("member \(member) unlocks for the owner again", deadlineSeconds: 15) {
            (try? await api.command(
                owner, "unlock", via: cluster.client(member), minRevision: 0, verifier: verifier, consistency: "bounded"
            )) != nil
        }
    }

    /// Probes `member` as it returns (`probe`): no token for the guest's revoked key, some answers, and the
    /// member unlocks for the owner again afterwards.
    func expectNoTokensAsItReturns(
        _ member: UInt64, _ what: String, in cluster: LocalClusterProcesses, guest: KeyHolder, owner: KeyHolder,
        verifier: UnlockTokenVerifier
    ) async throws {
        let answers = await probe(member, in: cluster, holder: guest, verifier: verifier)
        print(
            "\(what) \(member): \(answers.tokens.count) tokens, \(answers.refusals) refusals, \(answers.unavailable) 503/429, \(answers.unreachable) unreachable"
        )
        #expect(
            answers.tokens.isEmpty,
            "tokens for a key revoked over \(Self.maxStalenessMilliseconds) ms earlier: \(answers.tokens)")
        #expect(answers.refusals > 0, "the returning member was probed and answered")
        try await expectServesOwner(member, cluster, owner: owner, verifier: verifier)
    }

    @Test(
        "a strict unlock sent to a follower right after a grant is acknowledged gets a token, never a refusal from older local state"
    )
    func strictUnlockRightAfterGrant() async throws {
        try await api.withOperator { cluster, operatorClient, _ in
            let owner = KeyHolder()
            _ = try await api.register(owner: owner, via: operatorClient)
            let verifier = try api.verifier(cluster)
            let leader = try await cluster.waitForLeader()
            let followers = cluster.ids.filter { $0 != leader }
            for round in 0..<8 {
                let driver = KeyHolder()
                _ = try await api.signed(
                    owner, cluster.client(leader), path: "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)/keys",
                    command: "grant", body: try api.grantBody(driver, role: "driver"))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for follower in followers {
                        group.addTask {
                            // No minRevision: the strict decision alone must reflect the acknowledged grant.
                            let token = try await api.command(
                                driver, "unlock", via: cluster.client(follower), minRevision: 0, verifier: verifier)
                            #expect(token.consistency == .strict, "round \(round), member \(follower)")
                        }
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    /// A follower is taken away (`away`), the guest's key revoked through the leader, the follower kept away
    /// past the staleness bound, brought back (`back`), and probed as it returns.
    func revokeWhileFollowerAway(
        _ what: String, away: @escaping (LocalClusterProcesses, UInt64) -> Void,
        back: @escaping (LocalClusterProcesses, UInt64) throws -> Void
    ) async throws {
        try await api.withOperator(maxStalenessMilliseconds: Self.maxStalenessMilliseconds) {
            cluster, operatorClient, _ in
            let owner = KeyHolder()
            let guest = try await enrolledWithGuest(cluster, operatorClient, owner: owner)
            let verifier = try api.verifier(cluster)
            let leader = try await cluster.waitForLeader()
            let follower = try #require(cluster.ids.first { $0 != leader })
            // Fresh before the fault: the member does answer bounded reads at once.
            let before = try await api.command(
                guest, "unlock", via: cluster.client(follower), minRevision: 0, verifier: verifier,
                consistency: "bounded")
            #expect(before.consistency == .bounded)
            away(cluster, follower)
            try await revoke(guest, by: owner, via: leader, in: cluster)
            let revokedAt = ContinuousClock.now
            // The fault's length, not a synchronisation: the member stays away past the staleness bound.
            try await Task.sleep(until: revokedAt + Self.awayAfterRevoke)
            try back(cluster, follower)
            try await expectNoTokensAsItReturns(
                follower, what, in: cluster, guest: guest, owner: owner, verifier: verifier)
        }
    }

    @Test("a follower frozen with SIGSTOP while a key is revoked issues no token for that key as it resumes")
    func frozenFollowerResumes() async throws {
        try await revokeWhileFollowerAway(
            "frozen follower", away: { cluster, member in #expect(cluster.signal(member, SIGSTOP)) },
            back: { cluster, member in #expect(cluster.signal(member, SIGCONT)) })
    }

    @Test(
        "a follower killed while a key is revoked and restarted with its old state issues no token for that key as it returns"
    )
    func restartedFollowerReturns() async throws {
        try await revokeWhileFollowerAway(
            "restarted follower", away: { cluster, member in cluster.kill(member) },
            back: { cluster, member in try cluster.start(member) })
    }

    @Test(
        "a leader frozen with SIGSTOP while the others elect a new leader and revoke a key issues no token for it as it resumes"
    )
    func frozenLeaderResumes() async throws {
        try await api.withOperator(maxStalenessMilliseconds: Self.maxStalenessMilliseconds) {
            cluster, operatorClient, _ in
            let owner = KeyHolder()
            let guest = try await enrolledWithGuest(cluster, operatorClient, owner: owner)
            let verifier = try api.verifier(cluster)
            let oldLeader = try await cluster.waitForLeader()
            #expect(cluster.signal(oldLeader, SIGSTOP))
            let others = cluster.ids.filter { $0 != oldLeader }
            try await waitUntil("the others elect a new leader", deadlineSeconds: 15) {
                for id in others {
                    if let status = try? await cluster.status(id), let leader = status.leader, leader != oldLeader {
                        return true
                    }
                }
                return false
            }
            var revoked = false
            try await waitUntil("the revoke is acknowledged by the new leader", deadlineSeconds: 15) {
                for id in others where !revoked {
                    if (try? await api.signed(
                        owner, cluster.client(id),
                        path: "/v1/vehicles/\(KeyAuthorizationAPITests.vinText)/keys/\(guest.keyID.text)/revoke",
                        command: "revoke")) != nil
                    {
                        revoked = true
                    }
                }
                return revoked
            }
            let revokedAt = ContinuousClock.now
            try await Task.sleep(until: revokedAt + Self.awayAfterRevoke)
            #expect(cluster.signal(oldLeader, SIGCONT))
            try await expectNoTokensAsItReturns(
                oldLeader, "deposed leader", in: cluster, guest: guest, owner: owner, verifier: verifier)
        }
    }
}
