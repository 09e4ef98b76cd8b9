import Foundation

/// Who made a change: a key (its signature was verified before the command was proposed) or an operator
/// (authenticated by a client certificate from the cluster CA).
///
/// Two JSON forms. The **stored** form — `{"key":{"_0":"…"}}`, `{"operator":{"_0":"admin"}}` — is what the
/// log, LMDB records and client sessions hold; it is the form Swift once synthesized and must stay byte for
/// byte, or members of mixed versions would disagree on replicated state. The **API** form —
/// `{"kind":"key","keyID":"…"}`, `{"kind":"operator","name":"admin"}` — is what HTTP answers and `--json`
/// print, chosen by an encoder whose `userInfo[Principal.apiForm]` is true (`APIEncoding`). Decoding accepts
/// both, so a client reads members of either version.
public enum Principal: Hashable, Sendable {
    case key(KeyID)
    case `operator`(OperatorName)

    /// The `userInfo` flag that selects the API form. A constant, valid key name: the initializer only
    /// fails for names it never fails for in practice, so a failure here is a programming error.
    public static let apiForm: CodingUserInfoKey = {
        guard let key = CodingUserInfoKey(rawValue: "keycluster.principal.apiForm") else {
            preconditionFailure("CodingUserInfoKey refused a constant name")
        }
        return key
    }()

    /// The `kind` values of the API form.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case key
        case `operator`
    }

    public var kind: Kind {
        switch self {
        case .key: .key
        case .operator: .operator
        }
    }
}

extension Principal: Codable {
    private enum StoredKeys: String, CodingKey {
        case key
        case `operator`
    }

    /// The payload key Swift's synthesized enum coding gives an unlabeled associated value.
    private enum StoredPayloadKeys: String, CodingKey {
        case value = "_0"
    }

    private enum APIKeys: String, CodingKey {
        case kind, keyID, name
    }

    public init(from decoder: any Decoder) throws {
        let api = try decoder.container(keyedBy: APIKeys.self)
        if api.contains(.kind) {
            switch try api.decode(Kind.self, forKey: .kind) {
            case .key: self = .key(try api.decode(KeyID.self, forKey: .keyID))
            case .operator: self = .operator(try api.decode(OperatorName.self, forKey: .name))
            }
            return
        }
        let stored = try decoder.container(keyedBy: StoredKeys.self)
        if stored.contains(.key) {
            let payload = try stored.nestedContainer(keyedBy: StoredPayloadKeys.self, forKey: .key)
            self = .key(try payload.decode(KeyID.self, forKey: .value))
        } else {
            let payload = try stored.nestedContainer(keyedBy: StoredPayloadKeys.self, forKey: .operator)
            self = .operator(try payload.decode(OperatorName.self, forKey: .value))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if encoder.userInfo[Self.apiForm] as? Bool == true {
            var api = encoder.container(keyedBy: APIKeys.self)
            try api.encode(kind, forKey: .kind)
            switch self {
            case .key(let id): try api.encode(id, forKey: .keyID)
            case .operator(let name): try api.encode(name, forKey: .name)
            }
            return
        }
        var stored = encoder.container(keyedBy: StoredKeys.self)
        switch self {
        case .key(let id):
            var payload = stored.nestedContainer(keyedBy: StoredPayloadKeys.self, forKey: .key)
            try payload.encode(id, forKey: .value)
        case .operator(let name):
            var payload = stored.nestedContainer(keyedBy: StoredPayloadKeys.self, forKey: .operator)
            try payload.encode(name, forKey: .value)
        }
    }
}
