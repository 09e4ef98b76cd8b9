import Storage

/// Applying commands: every rule is checked against the command and the state before anything is written,
/// so a refused command changes nothing; the writes then cannot be refused, only fail in storage.
extension KeyAuthorizationStore {
    /// Applies `command` as the change at `revision` (its Raft index). Deterministic: depends only on the
    /// command and the state in `txn`. A refusal is the result; a throw means storage failed.
    public func apply(_ command: DomainCommand, at revision: UInt64, in txn: borrowing WriteTransaction) throws
        -> DomainResult
    {
        try applyEncoded(command, at: revision, in: txn).result
    }

    /// `apply`, also giving the changed grant's canonical bytes when it wrote them (nil for a refusal), so the
    /// state machine's result carries them instead of encoding the grant again.
    func applyEncoded(
        _ command: DomainCommand, at revision: UInt64, in txn: borrowing WriteTransaction
    ) throws -> (result: DomainResult, grantJSON: [UInt8]?) {
        let change: Change
        do {
            change = try plan(command, at: revision, in: txn)
        } catch let refusal as DomainRefusal {
            return (.refused(refusal), nil)
        }
        let grantJSON = try write(change, in: txn)
        return (.applied(revision: revision, grant: change.grant), grantJSON)
    }

    /// Everything one accepted command writes.
    struct Change {
        let vehicle: Vehicle
        /// The grant as the change leaves it (a revoked one as it left the live grants).
        let grant: Grant
        /// The audit record: it names `grant` by target and revision rather than holding a copy.
        let record: StoredAuditRecord
        /// The live grant this change puts another in place of (a recovery for a key that held one).
        let replaced: Grant?
        /// The signer's nonce to record, for key actions, with the request's own timestamp (retention runs
        /// from it: it is what the replay window is measured from).
        let nonce: (keyID: KeyID, nonce: Nonce, requestTimestampUnixMs: Int64)?

        init(
            vehicle: Vehicle, grant: Grant, action: AuditRecord.Action, actor: Principal, timestampUnixMs: Int64,
            reason: String? = nil, replaced: Grant? = nil,
            nonce: (keyID: KeyID, nonce: Nonce, requestTimestampUnixMs: Int64)?
        ) {
            self.vehicle = vehicle
            self.grant = grant
            record = StoredAuditRecord(
                revision: grant.revision, action: action, actor: actor, target: grant.keyID,
                timestampUnixMs: timestampUnixMs,
                reason: reason)
            self.replaced = replaced
            self.nonce = nonce
        }
    }

    /// Checks every rule and returns the change; throws `DomainRefusal` for a refused command. Reads only.
    private func plan(_ command: DomainCommand, at revision: UInt64, in txn: borrowing WriteTransaction) throws
        -> Change
    {
        guard DomainLimits.isValidTimestamp(command.decidedAtUnixMs) else {
            throw DomainRefusal(.invalidCommand, "timestamp is not a Unix-ms time between 1970 and 9999")
        }
        switch command {
        case .registerVehicle(let register):
            return try planRegistration(register, at: revision, in: txn)
        case .grant(let grant):
            return try planGrant(grant, at: revision, in: txn)
        case .revoke(let change):
            return try planKeyChange(change, .revoke, at: revision, in: txn)
        case .suspend(let change):
            return try planKeyChange(change, .suspend, at: revision, in: txn)
        case .resume(let change):
            return try planKeyChange(change, .resume, at: revision, in: txn)
        case .forceRevoke(let force):
            let vehicle = try existingVehicle(force.vin, at: revision, in: txn)
            let target = try liveGrant(force.vin, force.target, in: txn)
            return Change(
                vehicle: vehicle.changed(at: revision), grant: target.with(status: .revoked, at: revision),
                action: .forceRevoke,
                actor: .operator(force.operatorName), timestampUnixMs: force.timestampUnixMs, nonce: nil)
        case .recoverOwnership(let recover):
            return try planRecovery(recover, at: revision, in: txn)
        }
    }

    /// A new unrestricted owner by an operator. A key that already holds a grant gets the owner grant in its
    /// place; other grants stay as they are (the operator force-revokes what must go).
    private func planRecovery(
        _ recover: DomainCommand.RecoverOwnership, at revision: UInt64, in txn: borrowing WriteTransaction
    ) throws -> Change {
        if let refusal = DomainCommand.RecoverOwnership.refusal(ofReason: recover.reason) {
            throw DomainRefusal(.invalidCommand, refusal)
        }
        let vehicle = try existingVehicle(recover.vin, at: revision, in: txn)
        let keyID = recover.ownerKey.keyID
        let replaced = try grant(recover.vin, keyID, in: txn)
        if replaced == nil, try grantCount(of: recover.vin, in: txn) >= maxKeysPerVehicle {
            throw DomainRefusal(
                .tooManyKeys, "vehicle \(recover.vin) already holds \(maxKeysPerVehicle) keys; force-revoke one first")
        }
        let owner = Grant(
            vin: recover.vin, keyID: keyID, publicKey: recover.ownerKey, formFactor: recover.ownerFormFactor,
            role: .owner,
            permissions: Role.owner.maximumPermissions, notBeforeUnixMs: nil, notAfterUnixMs: nil,
            grantedBy: .operator(recover.operatorName), grantedAtUnixMs: recover.timestampUnixMs, revision: revision,
            status: .active)
        return Change(
            vehicle: vehicle.changed(at: revision), grant: owner, action: .recoverOwnership,
            actor: .operator(recover.operatorName),
            timestampUnixMs: recover.timestampUnixMs, reason: recover.reason, replaced: replaced, nonce: nil)
    }

    private func planRegistration(
        _ register: DomainCommand.RegisterVehicle, at revision: UInt64, in txn: borrowing WriteTransaction
    ) throws -> Change {
        guard try vehicle(register.vin, in: txn) == nil else {
            throw DomainRefusal(.vehicleExists, "vehicle \(register.vin) is already registered")
        }
        let owner = Grant(
            vin: register.vin, publicKey: register.ownerKey, formFactor: register.ownerFormFactor, role: .owner,
            permissions: Role.owner.maximumPermissions, notBeforeUnixMs: nil, notAfterUnixMs: nil,
            grantedBy: .operator(register.operatorName), grantedAtUnixMs: register.timestampUnixMs, revision: revision,
            status: .active)
        return Change(
            vehicle: Vehicle(
                vin: register.vin, registeredBy: register.operatorName, registeredAtUnixMs: register.timestampUnixMs,
                revision: revision),
            grant: owner, action: .registerVehicle, actor: .operator(register.operatorName),
            timestampUnixMs: register.timestampUnixMs,
            nonce: nil)
    }

    private func planGrant(_ command: DomainCommand.GrantKey, at revision: UInt64, in txn: borrowing WriteTransaction)
        throws -> Change
    {
        let vehicle = try existingVehicle(command.vin, at: revision, in: txn)
        let signer = try authorizedOwner(command.vin, command.signer, in: txn)
        let permissions = command.permissions ?? command.role.defaultPermissions
        let time = command.signer.decidedAtUnixMs
        try checkWindow(notBefore: command.notBeforeUnixMs, notAfter: command.notAfterUnixMs, at: time)
        if command.role.mustExpire, command.notAfterUnixMs == nil {
            throw DomainRefusal(.guestMustExpire, "a \(command.role.rawValue) grant needs notAfter")
        }
        guard command.role.maximumPermissions.isSuperset(of: permissions) else {
            let beyond = permissions.subtracting(command.role.maximumPermissions)
            throw DomainRefusal(.invalidCommand, "role \(command.role.rawValue) cannot carry \(beyond.members)")
        }
        guard signer.permissions.isSuperset(of: permissions) else {
            throw DomainRefusal(
                .exceedsSignerAuthority, "signer does not hold \(permissions.subtracting(signer.permissions).members)")
        }
        if let signerEnd = signer.notAfterUnixMs, (command.notAfterUnixMs ?? .max) > signerEnd {
            throw DomainRefusal(.exceedsSignerAuthority, "grant would outlast the signer's own grant")
        }
        if let signerStart = signer.notBeforeUnixMs, (command.notBeforeUnixMs ?? .min) < signerStart {
            throw DomainRefusal(.exceedsSignerAuthority, "grant would start before the signer's own grant")
        }
        let keyID = command.publicKey.keyID
        if try isStale(command.vin, keyID, requestedAt: command.signer.timestampUnixMs, in: txn) {
            throw Self.stale(keyID)
        }
        // One lookup and an undecoded count, not a decode of every live grant: a grant's apply stays cheap
        // however many keys the vehicle holds (decoding validates each stored P-256 key).
        guard try !txn.contains(Self.grantKey(command.vin, keyID), in: grants) else {
            throw DomainRefusal(
                .keyAlreadyGranted, "key \(keyID) already holds a grant on \(command.vin); revoke it first")
        }
        guard try grantCount(of: command.vin, in: txn) < maxKeysPerVehicle else {
            throw DomainRefusal(.tooManyKeys, "vehicle \(command.vin) already holds \(maxKeysPerVehicle) keys")
        }
        let grant = Grant(
            vin: command.vin, keyID: keyID, publicKey: command.publicKey, formFactor: command.formFactor,
            role: command.role,
            permissions: permissions, notBeforeUnixMs: command.notBeforeUnixMs, notAfterUnixMs: command.notAfterUnixMs,
            grantedBy: .key(signer.keyID), grantedAtUnixMs: time, revision: revision, status: .active)
        return Change(
            vehicle: vehicle.changed(at: revision), grant: grant, action: .grant, actor: .key(signer.keyID),
            timestampUnixMs: time,
            nonce: (signer.keyID, command.signer.nonce, command.signer.timestampUnixMs))
    }

    private func planKeyChange(
        _ command: DomainCommand.ChangeKey, _ action: AuditRecord.Action, at revision: UInt64,
        in txn: borrowing WriteTransaction
    ) throws -> Change {
        let vehicle = try existingVehicle(command.vin, at: revision, in: txn)
        let signer = try authorizedOwner(command.vin, command.signer, in: txn)
        let target = try liveGrant(command.vin, command.target, in: txn)
        if try isStale(command.vin, command.target, requestedAt: command.signer.timestampUnixMs, in: txn) {
            throw Self.stale(command.target)
        }
        let status: GrantStatus
        switch action {
        case .revoke: status = .revoked
        case .suspend:
            guard target.status == .active else {
                throw DomainRefusal(.invalidTransition, "grant of \(command.target) is not active")
            }
            status = .suspended
        case .resume:
            guard target.status == .suspended else {
                throw DomainRefusal(.invalidTransition, "grant of \(command.target) is not suspended")
            }
            status = .active
        case .registerVehicle, .grant, .forceRevoke, .recoverOwnership:
            preconditionFailure("\(action) is not a key change")
        }
        // A key acts on itself, or on grants it dominates: never on one that outranks it.
        guard target.keyID == signer.keyID || signer.dominates(target) else {
            throw DomainRefusal(
                .targetOutranksSigner,
                "the grant of \(command.target) is not within the signer's own (role, permissions, window)")
        }
        if status != .active, target.isUnrestrictedOwner, target.status == .active {
            let unrestricted = try grants(of: command.vin, in: txn).filter {
                $0.isUnrestrictedOwner && $0.status == .active
            }
            guard unrestricted.count > 1 else {
                throw DomainRefusal(
                    .lastOwner,
                    "\(command.target) is the vehicle's last active unrestricted owner; only an operator may remove it")
            }
        }
        return Change(
            vehicle: vehicle.changed(at: revision), grant: target.with(status: status, at: revision), action: action,
            actor: .key(signer.keyID), timestampUnixMs: command.signer.decidedAtUnixMs,
            nonce: (signer.keyID, command.signer.nonce, command.signer.timestampUnixMs))
    }

    static func stale(_ keyID: KeyID) -> DomainRefusal {
        DomainRefusal(
            .staleRequest,
            "a change to \(keyID) signed later than this request was already applied; sign a new request if it is still wanted"
        )
    }

    private func existingVehicle(_ vin: VIN, at revision: UInt64, in txn: borrowing WriteTransaction) throws -> Vehicle
    {
        guard let vehicle = try vehicle(vin, in: txn) else {
            throw DomainRefusal(.vehicleNotFound, "vehicle \(vin) is not registered")
        }
        precondition(
            revision > vehicle.revision, "revision \(revision) does not follow the vehicle's \(vehicle.revision)")
        return vehicle
    }

    private func liveGrant(_ vin: VIN, _ keyID: KeyID, in txn: borrowing WriteTransaction) throws -> Grant {
        guard let grant = try grant(vin, keyID, in: txn) else {
            throw DomainRefusal(.grantNotFound, "key \(keyID) holds no grant on \(vin)")
        }
        return grant
    }

    /// The signer's grant, checked to be an active owner's, valid at the command's time, with a fresh nonce.
    private func authorizedOwner(
        _ vin: VIN, _ signature: DomainCommand.KeySignature, in txn: borrowing WriteTransaction
    ) throws -> Grant {
        guard let signer = try grant(vin, signature.keyID, in: txn) else {
            throw DomainRefusal(.signerNotAuthorized, "signer \(signature.keyID) holds no grant on \(vin)")
        }
        guard DomainLimits.isValidTimestamp(signature.timestampUnixMs) else {
            throw DomainRefusal(.invalidCommand, "request timestamp is not a Unix-ms time between 1970 and 9999")
        }
        guard signer.status == .active else {
            throw DomainRefusal(.signerNotAuthorized, "signer's grant is \(signer.status.rawValue)")
        }
        // At the deciding member's clock, never the request's own timestamp (a client chooses that).
        guard signer.isWithinWindow(atUnixMs: signature.decidedAtUnixMs) else {
            throw DomainRefusal(.signerNotAuthorized, "signer's grant is not valid now")
        }
        guard signer.role.managesKeys else {
            throw DomainRefusal(.notOwner, "only owners manage keys; signer is \(signer.role.rawValue)")
        }
        guard try !isNonceRecorded(vin, signature.keyID, signature.nonce, in: txn) else {
            throw DomainRefusal(.replayedNonce, "nonce already used by this key")
        }
        return signer
    }

    private func checkWindow(notBefore: Int64?, notAfter: Int64?, at time: Int64) throws {
        for bound in [notBefore, notAfter].compactMap({ $0 }) where !DomainLimits.isValidTimestamp(bound) {
            throw DomainRefusal(
                .invalidCommand, "grant window bound \(bound) is not a Unix-ms time between 1970 and 9999")
        }
        if let notBefore, let notAfter, notBefore >= notAfter {
            throw DomainRefusal(.invalidCommand, "notBefore must be earlier than notAfter")
        }
        if let notAfter, notAfter <= time {
            throw DomainRefusal(.invalidCommand, "notAfter is already past at the command's time")
        }
    }

    /// Writes the change; returns the grant's canonical bytes, encoded once for its record and the result.
    private func write(_ change: Change, in txn: borrowing WriteTransaction) throws -> [UInt8] {
        let grant = change.grant
        let grantJSON = DomainCoding.encode(grant)
        let vin = change.vehicle.vin
        try txn.put(DomainCoding.encode(change.vehicle), for: Self.vehicleKey(vin), in: vehicles)
        if grant.status == .revoked {
            let removed = try txn.delete(Self.grantKey(vin, grant.keyID), in: grants)
            assert(removed, "revoked a grant that was not live")
            try retire(grantJSON, vin: vin, keyID: grant.keyID, at: grant.revision, in: txn)
        } else {
            if let replaced = change.replaced {
                try retire(DomainCoding.encode(replaced), vin: vin, keyID: replaced.keyID, at: grant.revision, in: txn)
            }
            try txn.put(grantJSON, for: Self.grantKey(vin, grant.keyID), in: grants)
        }
        let inserted = try txn.insert(
            DomainCoding.encode(change.record), for: Self.auditKey(vin, change.record.revision), in: audit)
        assert(inserted, "audit record at revision \(change.record.revision) already exists")
        if let (keyID, nonce, requestTimestamp) = change.nonce {
            try recordNonce(vin, keyID, nonce, timestampUnixMs: requestTimestamp, in: txn)
            // Signed key changes only (they carry a nonce): an operator's command carries the member's
            // clock, not a request's, and is not ordered against phones' clocks.
            try recordKeyChange(vin, change.record.target, requestedAt: requestTimestamp, in: txn)
        }
        return grantJSON
    }

    /// Keeps the body of a grant that leaves the live grants at `revision`: the audit records of its
    /// lifetime name it and read it from here (`StoredAuditRecord`).
    private func retire(
        _ grantJSON: [UInt8], vin: VIN, keyID: KeyID, at revision: UInt64, in txn: borrowing WriteTransaction
    ) throws {
        let inserted = try txn.insert(grantJSON, for: Self.retiredGrantKey(vin, keyID, revision), in: retiredGrants)
        assert(inserted, "a grant of \(keyID) already retired at revision \(revision)")
    }
}
