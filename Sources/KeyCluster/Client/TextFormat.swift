import Foundation

/// The human-readable forms the CLI prints (scripts use `--json` instead): one line per grant, audit
/// record or token, with times in UTC ISO 8601 and key ids shortened to what a person compares.
public enum TextFormat {
    /// Hex digits of a key id shown to people (the full id is in `--json` output).
    public static let shortKeyIDLength = 16

    public static func keyID(_ id: KeyID) -> String { String(id.text.prefix(shortKeyIDLength)) }

    public static func time(unixMs: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(unixMs) / 1_000))
    }

    public static func principal(_ principal: Principal) -> String {
        switch principal {
        case .key(let id): "key \(keyID(id))"
        case .operator(let name): "operator \(name.text)"
        }
    }

    public static func window(notBeforeUnixMs: Int64?, notAfterUnixMs: Int64?) -> String {
        switch (notBeforeUnixMs, notAfterUnixMs) {
        case (nil, nil): "no expiry"
        case (let from?, nil): "from \(time(unixMs: from))"
        case (nil, let until?): "until \(time(unixMs: until))"
        case (let from?, let until?): "\(time(unixMs: from)) – \(time(unixMs: until))"
        }
    }

    public static func permissions(_ permissions: Permissions) -> String {
        permissions.members.isEmpty ? "-" : permissions.members.map(\.rawValue).joined(separator: ",")
    }

    /// `<key id>  <role>  <status>  <permissions>  <window>  granted by …, revision N`
    public static func grant(_ grant: Grant) -> String {
        "\(keyID(grant.keyID))  \(grant.role.rawValue)  \(grant.status.rawValue)  \(permissions(grant.permissions))  "
            + "\(window(notBeforeUnixMs: grant.notBeforeUnixMs, notAfterUnixMs: grant.notAfterUnixMs))  "
            + "granted by \(principal(grant.grantedBy)), revision \(grant.revision)"
    }

    /// `revision N  <time>  <action>  <key id> (<role>) by …`
    public static func audit(_ record: AuditRecord) -> String {
        "revision \(record.revision)  \(time(unixMs: record.timestampUnixMs))  \(record.action.rawValue)  "
            + "\(keyID(record.target)) (\(record.grant.role.rawValue)) by \(principal(record.actor))"
            + (record.reason.map { " — reason: \($0)" } ?? "")
    }

    public static func token(_ token: UnlockToken) -> String {
        "\(token.command.rawValue) allowed for key \(keyID(token.keyID)) on \(token.vin.text): \(token.consistency.rawValue) read at "
            + "revision \(token.revision) by member \(token.issuingNode), valid until \(time(unixMs: token.expiresAtUnixMs))"
    }

    /// A duration such as `90s`, `30m`, `12h` or `7d`, in milliseconds; nil when it is not one.
    public static func durationMilliseconds(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard let unit = text.last, let factor = units[unit], let amount = Int64(text.dropLast()), amount > 0 else {
            return nil
        }
        let (milliseconds, overflow) = amount.multipliedReportingOverflow(by: factor)
        return overflow ? nil : milliseconds
    }
}
