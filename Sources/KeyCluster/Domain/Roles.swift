/// What a key may make the vehicle do.
public enum Permission: String, Codable, Sendable, CaseIterable {
    case unlock, lock, drive, trunk, climate, charge
}

/// A set of permissions. Encoded as an array in `Permission.allCases` order, so one set has one encoding —
/// stored records and results must be byte-identical on every member.
public struct Permissions: OptionSet, Hashable, Sendable, Codable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public init(_ permission: Permission) {
        guard let index = Permission.allCases.firstIndex(of: permission) else {
            preconditionFailure("unknown permission")
        }
        rawValue = 1 << UInt8(index)
    }

    public init(_ permissions: [Permission]) {
        self = permissions.reduce(into: Permissions()) { $0.insert(Permissions($1)) }
    }

    public static let unlock = Permissions(Permission.unlock)
    public static let lock = Permissions(Permission.lock)
    public static let drive = Permissions(Permission.drive)
    public static let trunk = Permissions(Permission.trunk)
    public static let climate = Permissions(Permission.climate)
    public static let charge = Permissions(Permission.charge)
    public static let all = Permissions(Permission.allCases)

    public func contains(_ permission: Permission) -> Bool { contains(Permissions(permission)) }

    public var members: [Permission] { Permission.allCases.filter(contains) }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([Permission].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(members)
    }
}

/// The kind of device holding a key.
public enum FormFactor: String, Codable, Sendable, CaseIterable {
    case phone, card, fob, cloud
}

/// A key's role on a vehicle (after the vehicle-command protocol's roles). The role caps the permissions a
/// grant may carry, and only owners manage keys.
public enum Role: String, Codable, Sendable, CaseIterable {
    case owner, driver, guest, fleetManager, service, monitor, chargingManager

    /// The most a grant of this role may carry.
    public var maximumPermissions: Permissions {
        switch self {
        case .owner, .driver, .fleetManager: .all
        case .guest: [.unlock, .lock, .drive, .trunk, .climate]
        case .service: [.unlock, .lock, .drive, .trunk]
        // A monitor only observes: it holds a key for identity, not to act on the vehicle.
        case .monitor: []
        case .chargingManager: [.charge, .climate]
        }
    }

    /// What a grant of this role carries when the granter names no permissions.
    public var defaultPermissions: Permissions {
        switch self {
        case .owner, .driver, .fleetManager, .monitor: maximumPermissions
        case .guest, .service: [.unlock, .lock, .drive]
        case .chargingManager: [.charge]
        }
    }

    /// The role's place in the ownership hierarchy (with permissions and windows, `Grant.dominates`):
    /// owner above fleet manager above driver above service above guest above charging manager above
    /// monitor — by how much of the vehicle each may be trusted with.
    public var rank: Int {
        switch self {
        case .owner: 6
        case .fleetManager: 5
        case .driver: 4
        case .service: 3
        case .guest: 2
        case .chargingManager: 1
        case .monitor: 0
        }
    }

    /// Whether the role may grant, revoke, suspend and resume keys.
    public var managesKeys: Bool { self == .owner }

    /// Whether a grant of this role must carry `notAfter`: a guest's access always ends.
    public var mustExpire: Bool { self == .guest }
}
