import Foundation
import KeyCluster
import Storage

/// What one owner-signed grant costs the replicated state machine, outside any cluster (`keycluster bench
/// apply`): the proposer's encoding of the command, one member's apply (decode, domain rules, writes, the
/// encoded result) and the proposer's decoding of the result — the part of a grant every member repeats.
///
/// In-process and single-threaded, so `valgrind --tool=callgrind` counts the same instructions run after
/// run: on 2 shared cores throughput moves ±15 % between runs, instruction counts do not. Only `measure`
/// is timed (callgrind: `--toggle-collect='*GrantApplyBench*measure*'`); enrolment and key generation are
/// not. Times are fixed, never read from a clock, so two runs apply identical commands.
public enum GrantApplyBench {
    public struct Report: Encodable, Sendable {
        public var grants: Int
        /// Bytes of one grant's replicated command (the log entry's payload without Raft's envelope).
        public var commandBytes: Int
        public var wallMicrosecondsPerGrant: Double
        /// CPU time of the applying thread, user + system.
        public var cpuMicrosecondsPerGrant: Double
    }

    /// Keys each vehicle is granted: it holds its owner's plus these, up to the per-vehicle bound.
    static let grantsPerVehicle = DomainLimits.defaultMaxKeysPerVehicle - 1
    /// Request time between consecutive grants. The nonce retention (90 s) is then reached after 4,500
    /// grants, so a run of more pays the steady-state pruning of the time indexes too, as a member does.
    static let requestSpacingMilliseconds: Int64 = 20
    /// The first grant's request time: fixed, so runs are identical (2027-01-15).
    static let startUnixMs: Int64 = 1_800_000_000_000

    /// Enrols `vehicles` vehicles in a fresh store in `directory` (created if missing), then measures
    /// `grantsPerVehicle` grants on each. Commits are not fsynced (`noSync`): the fsync is the write path's
    /// cost, not the grant's, and callgrind does not count the kernel's work anyway.
    public static func run(directory: String, vehicles: Int) throws -> Report {
        precondition(vehicles > 0, "a run needs at least one vehicle")
        let environment = try Environment(path: directory, options: EnvironmentOptions(durability: .noSync))
        let stateMachine = try ServiceStateMachine(environment: environment)
        let owner = KeyHolder()
        let grantees = (0..<grantsPerVehicle).map { _ in KeyHolder().publicKey }
        let operatorName = try OperatorName(validating: "bench")
        var index: UInt64 = 0
        var commands: [ServiceCommand] = []
        for number in 0..<vehicles {
            let vin = try VIN(validating: String(format: "BENCH%012d", number))
            index += 1
            try expectApplied(
                try apply(
                    .domain(
                        .registerVehicle(
                            .init(
                                vin: vin, ownerKey: owner.publicKey, ownerFormFactor: .phone,
                                operatorName: operatorName,
                                timestampUnixMs: startUnixMs))),
                    at: index, stateMachine: stateMachine, environment: environment))
            for grantee in grantees {
                let time = startUnixMs + Int64(commands.count) * requestSpacingMilliseconds
                let signer = DomainCommand.KeySignature(
                    keyID: owner.keyID, nonce: Nonce.random(), timestampUnixMs: time, decidedAtUnixMs: time)
                commands.append(
                    .domain(
                        .grant(.init(vin: vin, signer: signer, publicKey: grantee, formFactor: .phone, role: .driver))))
            }
        }
        let commandBytes = try commands[0].encoded().count
        let clock = ContinuousClock()
        let cpuStart = threadCPUSeconds()
        let wall = try clock.measure {
            try measure(commands, firstIndex: index + 1, stateMachine: stateMachine, environment: environment)
        }
        let cpu = threadCPUSeconds() - cpuStart
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        let count = Double(commands.count)
        return Report(
            grants: commands.count, commandBytes: commandBytes, wallMicrosecondsPerGrant: wallSeconds * 1e6 / count,
            cpuMicrosecondsPerGrant: cpu * 1e6 / count)
    }

    /// The measured part: every grant as the proposer and one member handle it.
    @inline(never)
    static func measure(
        _ commands: [ServiceCommand], firstIndex: UInt64, stateMachine: ServiceStateMachine, environment: Environment
    ) throws {
        for (offset, command) in commands.enumerated() {
            try expectApplied(
                try apply(
                    command, at: firstIndex + UInt64(offset), stateMachine: stateMachine, environment: environment))
        }
    }

    private static func apply(
        _ command: ServiceCommand, at index: UInt64, stateMachine: ServiceStateMachine, environment: Environment
    ) throws -> ServiceResult {
        let bytes = try command.encoded()
        let result = try environment.write { txn in try stateMachine.apply(bytes, at: index, in: txn) }
        return try ServiceResult(decoding: result)
    }

    /// A refused grant would measure a refusal, not a grant: the run stops instead.
    private static func expectApplied(_ result: ServiceResult) throws {
        guard case .domain(.applied) = result else { throw NotApplied(result: "\(result)") }
    }

    struct NotApplied: Error, CustomStringConvertible {
        let result: String
        var description: String { "a bench command was not applied: \(result)" }
    }

    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
