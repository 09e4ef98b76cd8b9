import ArgumentParser
import Foundation
import KeyCluster
import NIOCore
import NIOSSL

extension CLIError {
    /// `error` told for an operator: the library's and the cluster's errors mapped to message, cause, hint and
    /// exit status. Anything not recognised is still reported, as an unexpected failure.
    init(describing error: any Error) {
        switch error {
        case let error as CLIError:
            self = error
        case let error as ValidationError:
            self.init(error.message, exitStatus: .localProblem)
        case let error as MemberClient.CallError:
            self.init(callError: error)
        case let refusal as MemberClient.Refusal:
            self.init(
                callError: .problem(
                    status: refusal.status, type: refusal.problem?.type ?? "about:blank",
                    title: refusal.problem?.title ?? refusal.reason,
                    retryAfterSeconds: refusal.problem?.retryAfterSeconds),
                detail: refusal.problem?.detail)
        case let error as NodeConfiguration.Invalid:
            self.init(
                "invalid member configuration", cause: error.reason,
                hint:
                    "fix what the cause names (a configuration file, or the flags that made one); Deploy/README.md §1 describes the keys"
            )
        case let error as ClientDescription.Invalid:
            self.init(
                "cannot use the cluster description", cause: error.reason,
                hint: "pass --cluster FILE (or set KEYCLUSTER_CLUSTER)")
        case let error as CertificateDirectory.Refusal:
            self.init(error.description, hint: "see `keycluster certs --help`")
        case let error as CocoaError:
            self.init(fileError: error)
        case let error as IOError:
            self.init("a system call failed", cause: String(cString: strerror(error.errnoCode)))
        case let error as NIOSSLError:
            self.init(
                "a TLS certificate or key could not be used", cause: Self.plain(error),
                hint: "check the PEM files the configuration names (`keycluster certs show FILE`)")
        case let error as DecodingError:
            self.init("a JSON document could not be read", cause: DecodingProblem.describe(error))
        case let described as any CustomStringConvertible where Self.isOurs(error):
            // Our modules' errors are written for operators (`restore refused: …`, `invalid configuration: …`).
            self.init(described.description)
        default:
            self.init(
                "unexpected failure", cause: Self.plain(error), hint: "please report this with the command you ran")
        }
    }

    /// A refusal or an unreachable cluster, without a diagnosis of the members (see `ClusterDiagnosis`).
    init(callError: MemberClient.CallError, detail: String? = nil) {
        switch callError {
        case .problem(let status, let type, let title, let retryAfterSeconds, _):
            let kind = type.split(separator: ":").last.map(String.init) ?? type
            let unavailable = status == 503 || status == 429
            self.init(
                FlagNames.inCLITerms(title),
                cause: "the cluster answered \(status) \(kind)"
                    + (detail.map { ": \(FlagNames.inCLITerms($0))" } ?? ""),
                hint: Self.hint(forProblem: kind, retryAfterSeconds: retryAfterSeconds),
                exitStatus: unavailable ? .unavailable : .refused, status: status, problemType: kind)
        case .unreachable(let reason):
            self.init(
                "no member answered", cause: reason,
                hint: "check that the members are running and reachable from here (`keycluster cluster status`)",
                exitStatus: .unavailable)
        }
    }

    /// Unreachable, or answered without a leader: what a lost quorum looks like, worth asking every member
    /// about. An overloaded cluster (429, 503 `overloaded`) is not probed: that would add to its load.
    var suggestsLostQuorum: Bool {
        guard exitStatus == .unavailable else { return false }
        guard let problemType else { return true }
        return ["no-leader", "outcome-unknown", "node-stopped"].contains(problemType)
    }

    /// What to do about the problem types an operator meets most.
    static func hint(forProblem kind: String, retryAfterSeconds: Int?) -> String? {
        let later = retryAfterSeconds.map { "retry in \($0) s" } ?? "retry later"
        switch kind {
        case "no-leader":
            return "a majority of members must be reachable for a leader; \(later) or check `keycluster cluster status`"
        case "outcome-unknown":
            return
                "the change may or may not have been applied: read the state (e.g. `keycluster key list`) before retrying"
        case "overloaded", "key-share-full": return "the cluster is shedding load; \(later)"
        case "no-space":
            return "the members' storage quota or disk is full: free space or raise quota (Deploy/README.md §5)"
        case "operator-required":
            return "pass --operator-cert and --operator-key (or a description naming an operatorCertificate)"
        case "stale-request": return "a newer change to this key was applied; read the key list and sign a new request"
        case "signer-withdrawn": return "renew this member's token-signing certificate (`keycluster certs signer`)"
        default: return nil
        }
    }

    /// A file the command could not read or write, with its path.
    init(fileError error: CocoaError) {
        let path =
            (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path ?? "a file"
        switch error.code {
        case .fileWriteFileExists:
            self.init(
                "\(path) already exists", hint: "choose another path or move that file away; nothing is overwritten")
        case .fileNoSuchFile, .fileReadNoSuchFile:
            self.init(
                "\(path) does not exist",
                hint: "check the path (relative paths in configuration files are relative to the file)")
        case .fileReadNoPermission, .fileWriteNoPermission:
            self.init("permission denied: \(path)", hint: "run as the user that owns it, or fix its mode")
        case .fileWriteOutOfSpace:
            self.init("no space left to write \(path)", hint: "free disk space and try again")
        default:
            self.init("cannot use \(path)", cause: error.localizedDescription)
        }
    }

    /// Whether `error` comes from KeyCluster's own modules, whose descriptions are worded for operators.
    static func isOurs(_ error: any Error) -> Bool {
        let module = String(reflecting: type(of: error)).split(separator: ".").first.map(String.init) ?? ""
        return ["KeyCluster", "Raft", "Storage", "keycluster"].contains(module)
    }

    /// An error's own words, without module prefixes or source locations.
    static func plain(_ error: any Error) -> String {
        var text = String(describing: error)
        if let location = text.range(of: " at /") { text = String(text[..<location.lowerBound]) }
        return text
    }
}

/// The API's field names as the CLI's flags: a server refusal such as "a guest grant needs notAfter" reads
/// "a guest grant needs notAfter (--expires)" at the terminal, where the operator typed `--expires`.
enum FlagNames {
    /// API field → the flag that sets it.
    static let byField: [(field: String, flag: String)] = [
        ("notAfterUnixMs", "--expires"), ("notAfter", "--expires"), ("publicKey", "--grantee"),
        ("formFactor", "--form-factor"),
        ("ownerPublicKey", "--owner"), ("ownerFormFactor", "--form-factor"), ("minRevision", "--min-revision"),
    ]

    static func inCLITerms(_ text: String) -> String {
        var text = text
        for (field, flag) in byField {
            // Whole words only: `notAfter` must not match inside `notAfterUnixMs`.
            guard let pattern = try? NSRegularExpression(pattern: "\\b\(field)\\b") else { continue }
            let range = NSRange(text.startIndex..., in: text)
            text = pattern.stringByReplacingMatches(in: text, range: range, withTemplate: "\(field) (\(flag))")
        }
        return text
    }
}
