import HTTPTypes

/// The API's OpenAPI 3.1 description, served at `/openapi.yaml`. It is the contract clients and tools
/// (schemathesis) test against; the routes in this folder implement it, and a test checks every route
/// is described. Kept in code so the binary serves exactly the document it was built with.
enum OpenAPIDocument {
    /// The served document: `described` with the responses every operation shares added in one place.
    static let yaml = addingSharedResponses(to: described)

    /// Adds, under each operation's `responses:`, the answers that do not depend on the operation: 405
    /// (another method on the path; the answer lists the allowed ones in `Allow`), 408 (the request's head or
    /// body missed its deadline, `RequestDeadlineHandler`) and, for operations that
    /// draw on an admission budget (`RequestClass`), 429 with `Retry-After`. Relies on the layout of
    /// `described` (paths at two spaces, methods at four, `responses:` at six), as `DeclaredRoutes` does.
    static func addingSharedResponses(to document: String) -> String {
        var path = ""
        var method = ""
        var lines: [Substring] = []
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(line)
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                method = String(line.dropFirst(4).dropLast()).uppercased()
            } else if line == "      responses:" {
                lines.append(##"        "405": {$ref: "#/components/responses/MethodNotAllowed"}"##)
                lines.append(##"        "408": {$ref: "#/components/responses/RequestTimeout"}"##)
                if let requestMethod = HTTPRequest.Method(method),
                    RequestClass(method: requestMethod, path: path) != nil
                {
                    lines.append(##"        "429": {$ref: "#/components/responses/Overloaded"}"##)
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The problem `type`s the API can answer (`ProblemKind.all`), as a YAML flow sequence.
    static var problemTypes: String {
        "[" + ProblemKind.all.map { "\"\(Problem.typePrefix)\($0)\"" }.joined(separator: ", ") + "]"
    }

    /// The document as written; `yaml` adds the shared responses. Layout rules the readers rely on
    /// (`DeclaredRoutes`, `addingSharedResponses`): paths at two spaces, methods at four, `responses:` at six.
    static let described = """
        openapi: 3.1.0
        info:
          title: KeyCluster
          version: "0.1"
          description: >
            Vehicle key authorizations replicated with Raft across regions. Errors are RFC 9457 problem
            documents (application/problem+json) whose `type` is `urn:keycluster:problem:` and a kebab-case
            kind (every one is listed in the Problem schema). Writes answer with the revision they committed
            at; reads accept `minRevision` and wait (briefly) until this member has applied it. Every member
            serves the whole API: use any member's client address.
        servers:
          - url: "https://{member}"
            description: Any member's client address (host:port), as in client.json.
            variables:
              member:
                default: "127.0.0.1:8101"
                description: "host:port of a member's HTTPS API (keycluster serve's default is 127.0.0.1:8101)"
        tags:
          - {name: health, description: Liveness, readiness and metrics (anonymous).}
          - {name: documents, description: This document and the status page (anonymous).}
          - {name: cluster, description: The cluster's state and operator actions on it.}
          - {name: membership, description: Adding, promoting and removing members (operator).}
          - {name: signers, description: Token-signing certificates (operator).}
          - {name: vehicles, description: Vehicles, their state, history and key lists.}
          - {name: keys, description: Granting and changing keys.}
          - {name: commands, description: Vehicle commands (unlock and others) answered with signed tokens.}
          - {name: debug, description: Diagnostic routes of test and benchmark clusters (debugRoutes only).}
        components:
          securitySchemes:
            operatorCertificate:
              type: mutualTLS
              description: "An operator client certificate issued by the cluster CA (its subject alternative name urn:keycluster:operator:<name>), presented in the TLS handshake."
            keySignature:
              type: apiKey
              in: header
              name: KeyCluster-Signature
              description: >
                A key holder's request signature. Headers KeyCluster-Key-ID (64 lowercase hex: the SHA-256 of the
                key's uncompressed X9.63 P-256 point), KeyCluster-Timestamp (Unix ms, within 30 s of the member's
                clock), KeyCluster-Nonce (16-64 characters of A-Z a-z 0-9 - _, never reused within the window) and
                KeyCluster-Signature: base64 of the DER ECDSA P-256/SHA-256 signature over nine lines joined by LF
                (no trailing LF) - KEYCLUSTER-REQUEST-V1, the method in capitals, the request target exactly as
                sent (query included), the VIN, the key id, the command (unlock|lock|drive|trunk|climate|charge for
                commands; grant, revoke, suspend, resume for key changes; read for GETs of a vehicle), the
                timestamp, the nonce, and the lowercase hex SHA-256 of the body (of nothing for a GET).
          parameters:
            DebugKey:
              name: key
              in: path
              required: true
              schema: {type: string, pattern: "^[A-Za-z0-9._~-]{1,256}$"}
            vin:
              name: vin
              in: path
              required: true
              schema: {type: string, pattern: "^[A-HJ-NPR-Z0-9]{17}$", examples: [WVWZZZ1JZXW000001]}
            keyID:
              name: keyID
              in: path
              required: true
              schema: {type: string, pattern: "^[0-9a-f]{64}$"}
            minRevision:
              name: minRevision
              in: query
              required: false
              description: >
                A revision an earlier write returned. The member waits (up to 2 s) until it has applied it
                (503 behind-min-revision); one more than 10,000 beyond this member's commit index was never
                returned by any write: 400 unknown-revision, before any round through the leader.
              schema: {type: integer, minimum: 0, maximum: 18446744073709551615}
            consistency:
              name: consistency
              in: query
              required: false
              description: >
                strict (default): from a read point confirmed by the leader, else bounded, else 503. bounded:
                from this member's state at once when it is proven current within maxStalenessMilliseconds,
                else as strict. The answer's `consistency` says which was used (docs/consistency.md).
              schema: {type: string, enum: [strict, bounded]}
            keyHeaders-id:
              name: KeyCluster-Key-ID
              in: header
              required: true
              description: The signing key's id (see the keySignature scheme).
              schema: {type: string, pattern: "^[0-9a-f]{64}$"}
            keyHeaders-timestamp:
              name: KeyCluster-Timestamp
              in: header
              required: true
              description: Unix ms when signed; within 30 s of the member's clock.
              schema: {type: string, pattern: "^[0-9]{1,16}$"}
            keyHeaders-nonce:
              name: KeyCluster-Nonce
              in: header
              required: true
              description: Never reused by this key within the replay window.
              schema: {type: string, pattern: "^[A-Za-z0-9_-]{16,64}$"}
            keyHeaders-signature:
              name: KeyCluster-Signature
              in: header
              required: true
              description: base64 DER ECDSA P-256/SHA-256 over the nine signed lines (see the keySignature scheme).
              schema: {type: string, maxLength: 128}
            readHeaders-id:
              name: KeyCluster-Key-ID
              in: header
              required: false
              description: "A key holder's read (command read): with the three other KeyCluster-* headers; without them, an operator certificate."
              schema: {type: string, pattern: "^[0-9a-f]{64}$"}
            readHeaders-timestamp:
              name: KeyCluster-Timestamp
              in: header
              required: false
              schema: {type: string, pattern: "^[0-9]{1,16}$"}
            readHeaders-nonce:
              name: KeyCluster-Nonce
              in: header
              required: false
              schema: {type: string, pattern: "^[A-Za-z0-9_-]{16,64}$"}
            readHeaders-signature:
              name: KeyCluster-Signature
              in: header
              required: false
              schema: {type: string, maxLength: 128}
          schemas:
            Problem:
              type: object
              required: [type, title, status]
              properties:
                type:
                  type: string
                  description: "urn:keycluster:problem: and a kebab-case kind; clients switch on it. denied-* are unlock refusals decided at a read point (they carry consistency and revision)."
                  enum: \(problemTypes)
                title: {type: string}
                status: {type: integer}
                detail: {type: string}
                retryAfterSeconds: {type: integer}
                members: {type: array, items: {type: string}, description: other members' client addresses, when another may answer}
                consistency: {type: string, enum: [strict, bounded]}
                revision: {type: integer}
              examples:
                - {type: "urn:keycluster:problem:vehicle-not-found", title: No vehicle with this VIN, status: 404}
            Principal:
              type: object
              description: Who made a change - a key (by its id) or an operator (by the name in its certificate).
              required: [kind]
              properties:
                kind: {type: string, enum: [key, operator]}
                keyID: {type: string, pattern: "^[0-9a-f]{64}$"}
                name: {type: string}
              examples:
                - {kind: operator, name: admin}
            Grant:
              type: object
              required: [vin, keyID, publicKey, formFactor, role, permissions, grantedBy, grantedAtUnixMs, revision, status]
              properties:
                vin: {type: string}
                keyID: {type: string, pattern: "^[0-9a-f]{64}$"}
                publicKey: {type: string, description: base64 uncompressed X9.63 P-256 point}
                formFactor: {type: string, enum: [phone, card, fob, cloud]}
                role: {type: string, enum: [owner, driver, guest, fleetManager, service, monitor, chargingManager]}
                permissions: {type: array, items: {type: string, enum: [unlock, lock, drive, trunk, climate, charge]}}
                notBeforeUnixMs: {type: integer}
                notAfterUnixMs: {type: integer}
                grantedBy: {$ref: "#/components/schemas/Principal"}
                grantedAtUnixMs: {type: integer}
                revision: {type: integer}
                status: {type: string, enum: [active, suspended, revoked]}
              examples:
                - {vin: WVWZZZ1JZXW000001, keyID: 1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a, publicKey: "BPu…", formFactor: phone, role: owner, permissions: [unlock, lock, drive, trunk, climate, charge], grantedBy: {kind: operator, name: admin}, grantedAtUnixMs: 1764000000000, revision: 3, status: active}
            Change:
              type: object
              required: [revision, grant]
              properties:
                revision: {type: integer, description: usable as minRevision later}
                grant: {$ref: "#/components/schemas/Grant"}
              examples:
                - {revision: 3, grant: {vin: WVWZZZ1JZXW000001, keyID: 1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a1c9e5f0a, publicKey: "BPu…", formFactor: phone, role: owner, permissions: [unlock], grantedBy: {kind: operator, name: admin}, grantedAtUnixMs: 1764000000000, revision: 3, status: active}}
            Vehicle:
              type: object
              required: [vin, registeredBy, registeredAtUnixMs, revision]
              properties:
                vin: {type: string}
                registeredBy: {type: string, description: the enrolling operator's name}
                registeredAtUnixMs: {type: integer}
                revision: {type: integer, description: the last change to the vehicle or any of its grants}
            VehicleView:
              type: object
              required: [vehicle, grants, appliedIndex, consistency]
              properties:
                vehicle: {$ref: "#/components/schemas/Vehicle"}
                grants: {type: array, items: {$ref: "#/components/schemas/Grant"}}
                appliedIndex: {type: integer}
                consistency: {type: string, enum: [strict, bounded]}
              examples:
                - {vehicle: {vin: WVWZZZ1JZXW000001, registeredBy: admin, registeredAtUnixMs: 1764000000000, revision: 3}, grants: [], appliedIndex: 3, consistency: strict}
            AuditRecord:
              type: object
              required: [revision, action, actor, target, timestampUnixMs, grant]
              properties:
                revision: {type: integer}
                action: {type: string, enum: [registerVehicle, grant, revoke, suspend, resume, forceRevoke, recoverOwnership]}
                actor: {$ref: "#/components/schemas/Principal"}
                target: {type: string, pattern: "^[0-9a-f]{64}$"}
                timestampUnixMs: {type: integer}
                grant: {$ref: "#/components/schemas/Grant"}
                reason: {type: string}
            AuditPage:
              type: object
              required: [records, appliedIndex, consistency]
              properties:
                records: {type: array, items: {$ref: "#/components/schemas/AuditRecord"}}
                appliedIndex: {type: integer}
                consistency: {type: string, enum: [strict, bounded]}
              examples:
                - {records: [], appliedIndex: 7, consistency: bounded}
            SignedDocument:
              type: object
              required: [kind, payload, signature, certificate]
              properties:
                kind: {type: string, enum: [UNLOCK-TOKEN, VEHICLE-KEY-LIST]}
                payload: {type: string, description: base64 of the JSON claims}
                signature: {type: string, description: base64 DER ECDSA P-256 signature}
                certificate: {type: string, description: "base64 DER token-signing certificate of the signing member (its usage OID 2.25.758932329856351061.1, no TLS usage, at most 31 days). A VEHICLE-KEY-LIST payload carries validUntilUnixMs (at most 24 h after issuedAtUnixMs, never past the certificate) and withdrawnSigners (hex SHA-256 of withdrawn signing certificates' DER): vehicles refuse tokens and lists signed by those"}
              examples:
                - {kind: UNLOCK-TOKEN, payload: "eyJ…", signature: "MEUCIQ…", certificate: "MIIB…"}
            SignerWithdrawal:
              type: object
              required: [fingerprint, member, validUntilUnixMs, reason, operatorName, withdrawnAtUnixMs]
              properties:
                fingerprint: {type: string, description: hex SHA-256 of the certificate's DER}
                member: {type: integer}
                validUntilUnixMs: {type: integer, description: the certificate's own end; the withdrawal is dropped after it}
                reason: {type: string}
                operatorName: {type: string}
                withdrawnAtUnixMs: {type: integer}
                revision: {type: integer}
              examples:
                - {fingerprint: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, member: 2, validUntilUnixMs: 1766000000000, reason: key copied, operatorName: admin, withdrawnAtUnixMs: 1764000000000, revision: 41}
            Members:
              type: object
              required: [servedBy, term, commitIndex, lastIndex, changePending, members]
              properties:
                servedBy: {type: integer}
                leader: {type: integer}
                term: {type: integer}
                commitIndex: {type: integer}
                lastIndex: {type: integer}
                changePending: {type: boolean}
                revision: {type: integer}
                members:
                  type: array
                  items:
                    type: object
                    required: [id, region, role]
                    properties:
                      id: {type: integer}
                      region: {type: string}
                      role: {type: string, enum: [voter, learner]}
                      peerAddress: {type: string}
                      clientAddress: {type: string}
                      matchIndex: {type: integer}
                      lagEntries: {type: integer}
              examples:
                - {servedBy: 1, leader: 1, term: 3, commitIndex: 12, lastIndex: 12, changePending: false, members: [{id: 1, region: eu-west, role: voter}]}
            ClusterStatus:
              type: object
              required: [id, region, role, term, commitIndex, appliedIndex, lastIndex, pendingProposals, members]
              properties:
                id: {type: integer}
                clusterID: {type: string}
                region: {type: string}
                role: {type: string, enum: [follower, pre-candidate, candidate, leader]}
                term: {type: integer}
                leader: {type: integer}
                commitIndex: {type: integer}
                appliedIndex: {type: integer}
                lastIndex: {type: integer}
                pendingProposals: {type: integer}
                failure: {type: string}
                snapshotIndex: {type: integer}
                snapshotsInstalled: {type: integer}
                snapshotsTaken: {type: integer}
                lastSnapshotBytes: {type: integer, description: size of the newest snapshot taken here since the process started (absent before the first)}
                lastSnapshotMilliseconds: {type: integer, description: how long writing that snapshot took, to its fsync (it grows with the state)}
                nowUnixMs: {type: integer, description: this member's wall clock when it answered}
                unlocksDecided: {type: integer, description: vehicle command requests decided here since the process started (a counter; rates from two samples)}
                writesApplied: {type: integer, description: replicated commands applied here since the process started (a counter)}
                members:
                  type: array
                  items:
                    type: object
                    required: [id, region, clientAddress]
                    properties:
                      id: {type: integer}
                      region: {type: string}
                      clientAddress: {type: string}
                      matchIndex: {type: integer, description: leader only}
                      lagEntries: {type: integer, description: leader only - entries behind the leader's last index}
                      link: {type: string, enum: [self, reachable, unreachable], description: the peer link from this member's view}
                leaderChanges:
                  type: array
                  description: the last leaders this member saw take office, oldest first (at most 16)
                  items:
                    type: object
                    required: [term, leader, observedAtUnixMs]
                    properties:
                      term: {type: integer}
                      leader: {type: integer}
                      observedAtUnixMs: {type: integer}
                alarms:
                  type: array
                  items:
                    type: object
                    required: [kind, member, detail]
                    properties:
                      kind: {type: string, enum: [state-quota, disk-reserve, storage-failed, storage-out-of-space]}
                      member: {type: integer}
                      detail: {type: string}
              examples:
                - {id: 1, region: eu-west, role: leader, term: 3, leader: 1, commitIndex: 12, appliedIndex: 12, lastIndex: 12, pendingProposals: 0, members: [{id: 1, region: eu-west, clientAddress: "127.0.0.1:8101", link: self}], leaderChanges: [{term: 3, leader: 1, observedAtUnixMs: 1764000000000}], unlocksDecided: 40, writesApplied: 12, alarms: [], nowUnixMs: 1764000002000}
            Ready:
              type: object
              required: [ready, boundedReads, writes, storageAlarms]
              properties:
                ready: {type: boolean}
                leader: {type: integer}
                boundedReads: {type: boolean}
                writes: {type: string, enum: [accepted, refused]}
                storageAlarms: {type: array, items: {type: string}}
              examples:
                - {ready: true, leader: 1, boundedReads: true, writes: accepted, storageAlarms: []}
            Transfer:
              type: object
              required: [leader, term]
              properties:
                leader: {type: integer}
                term: {type: integer}
              examples:
                - {leader: 2, term: 4}
            Write:
              type: object
              required: [revision]
              properties:
                revision: {type: integer}
                counter: {type: integer, description: for counter increments, the value after this one}
              examples:
                - {revision: 9, counter: 3}
            DebugValue:
              type: object
              required: [key, value, appliedIndex]
              properties:
                key: {type: string}
                value: {type: string}
                appliedIndex: {type: integer}
              examples:
                - {key: k, value: v, appliedIndex: 9}
          responses:
            Problem:
              description: The request was refused; nothing changed.
              content:
                application/problem+json:
                  schema: {$ref: "#/components/schemas/Problem"}
            NoSpace:
              description: "No space: storage alarms stand (quota.maxStateBytes or quota.freeDiskReserveBytes on some member); revocations and suspensions still pass"
              content:
                application/problem+json:
                  schema: {$ref: "#/components/schemas/Problem"}
            Overloaded:
              description: "This member's in-flight budget for the request's class, or the client address's share of it, is full (problem type `urn:keycluster:problem:overloaded`); or, for a signed request whose signature verified, the signing key's share of that budget is full (`urn:keycluster:problem:key-share-full`: admission.maxKeySharePercent; a key holder who does not use the key that much should suspect it is used elsewhere). Retry after `Retry-After` seconds or at another member."
              headers:
                Retry-After: {schema: {type: integer, minimum: 0}}
              content:
                application/problem+json:
                  schema: {$ref: "#/components/schemas/Problem"}
            RequestTimeout:
              description: The request head or body did not arrive within the member's deadline; the connection is closed.
              content:
                application/problem+json:
                  schema: {$ref: "#/components/schemas/Problem"}
            MethodNotAllowed:
              description: The path does not answer this method; `Allow` lists those it does.
              headers:
                Allow: {schema: {type: string}}
              content:
                application/problem+json:
                  schema: {$ref: "#/components/schemas/Problem"}
        paths:
          /:
            get:
              operationId: getStatusPage
              tags: [documents]
              summary: "The status page: this member's view of the cluster (members by region, leader, term, indexes, links, recent leaders, unlock and write rates, alarms), refreshed every 2 s from /v1/cluster/status. Self-contained HTML; Content-Security-Policy allows only its own inline style and script and requests to this origin."
              security: []
              responses:
                "200": {description: the page, content: {text/html: {schema: {type: string}}}}
          /healthz:
            get:
              operationId: getHealth
              tags: [health]
              summary: "The process is up and its storage works. 503 `storage-failed`: stopped after a storage fault (restart it); 503 `storage-out-of-space`: the disk is full, writes wait and resume by themselves once space is freed."
              security: []
              responses:
                "200": {description: ok, content: {text/plain: {schema: {type: string}, examples: {ok: {value: "ok\\n"}}}}}
                "503": {$ref: "#/components/responses/Problem"}
          /readyz:
            get:
              operationId: getReadiness
              tags: [health]
              summary: "Ready when a leader is known or bounded reads can be served. `writes` is `refused` while storage alarms stand (listed in `storageAlarms`): unlocks and reads go on, so the member stays ready."
              security: []
              responses:
                "200": {description: ready, content: {application/json: {schema: {$ref: "#/components/schemas/Ready"}}}}
                "503": {$ref: "#/components/responses/Problem"}
          /metrics:
            get:
              operationId: getMetrics
              tags: [health]
              summary: Prometheus metrics (requests by route and status, Raft term and indexes, storage commits).
              security: []
              responses:
                "200": {description: metrics, content: {text/plain: {schema: {type: string}}}}
          /openapi.yaml:
            get:
              operationId: getOpenAPIDocument
              tags: [documents]
              summary: This document.
              security: []
              responses:
                "200": {description: the document, content: {application/yaml: {schema: {type: string}}}}
          /v1/cluster/status:
            get:
              operationId: getClusterStatus
              tags: [cluster]
              summary: "This member's view of the cluster (anonymous: it names members, indexes and alarms, nothing about vehicles or keys)."
              security: []
              responses:
                "200": {description: status, content: {application/json: {schema: {$ref: "#/components/schemas/ClusterStatus"}}}}
          /v1/cluster/backup:
            get:
              operationId: getBackup
              tags: [cluster]
              summary: "Operator: a consistent online backup of this member's applied state (KeyCluster snapshot file; see docs/backup-restore.md)."
              security: [{operatorCertificate: []}]
              responses:
                "200": {description: the backup, content: {application/octet-stream: {schema: {type: string, format: binary}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "500": {$ref: "#/components/responses/Problem"}
                "507": {$ref: "#/components/responses/Problem"}
          /v1/cluster/transfer-leader:
            post:
              operationId: transferLeadership
              tags: [cluster]
              summary: "Operator: hand leadership to another voter (e.g. before maintenance)."
              security: [{operatorCertificate: []}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {type: object, required: [to], properties: {to: {type: integer, minimum: 1}}, examples: [{to: 2}]}
              responses:
                "200": {description: transferred, content: {application/json: {schema: {$ref: "#/components/schemas/Transfer"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/cluster/token-signers/withdraw:
            post:
              operationId: withdrawTokenSigner
              tags: [signers]
              summary: "Operator: withdraw a member's token-signing certificate before it expires (its key was copied). Replicated: every member lists it in the key lists it signs (vehicles then refuse what it signed) and its member signs nothing more with it (503 signer-withdrawn) until renewed."
              security: [{operatorCertificate: []}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [certificate, reason]
                      properties:
                        certificate: {type: string, description: "the signing certificate, PEM (node-N-signing.pem)", maxLength: 16384}
                        reason: {type: string, minLength: 1, maxLength: 512}
                      examples:
                        - {certificate: "-----BEGIN CERTIFICATE-----…", reason: key copied}
              responses:
                "200": {description: withdrawn, content: {application/json: {schema: {$ref: "#/components/schemas/SignerWithdrawal"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/cluster/token-signers/withdrawn:
            get:
              operationId: listWithdrawnTokenSigners
              tags: [signers]
              summary: "Operator: the token-signing certificates withdrawn and not yet expired (this member's applied state)."
              security: [{operatorCertificate: []}]
              responses:
                "200":
                  description: withdrawn certificates
                  content:
                    application/json:
                      schema: {type: object, required: [withdrawn], properties: {withdrawn: {type: array, items: {$ref: "#/components/schemas/SignerWithdrawal"}}}, examples: [{withdrawn: []}]}
                "4XX": {$ref: "#/components/responses/Problem"}
          /v1/cluster/members:
            get:
              operationId: listMembers
              tags: [membership]
              summary: "Operator: the membership in force (id, region, voter/learner, addresses; lag on the leader)."
              security: [{operatorCertificate: []}]
              responses:
                "200": {description: members, content: {application/json: {schema: {$ref: "#/components/schemas/Members"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
            post:
              operationId: addMember
              tags: [membership]
              summary: "Operator, on the leader: add a learner (a member started with join: true)."
              security: [{operatorCertificate: []}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [id, region, peerAddress, clientAddress]
                      properties:
                        id: {type: integer, minimum: 1, maximum: 18446744073709551615}
                        region: {type: string, pattern: "^[A-Za-z0-9._-]{1,64}$"}
                        peerAddress: {type: string, maxLength: 255, description: "host:port of its Raft transport"}
                        clientAddress: {type: string, maxLength: 255, description: "host:port of its HTTPS API"}
                        force: {type: boolean, description: accept a placement where one region holds a quorum}
                      examples:
                        - {id: 4, region: eu-central, peerAddress: "10.0.4.1:7104", clientAddress: "10.0.4.1:8104"}
              responses:
                "200": {description: added, content: {application/json: {schema: {$ref: "#/components/schemas/Members"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/cluster/members/{id}/{action}:
            post:
              operationId: changeMember
              tags: [membership]
              summary: "Operator, on the leader: promote a caught-up learner to voter, or remove a member (409 while lagging or when placement breaks)."
              security: [{operatorCertificate: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: integer, minimum: 1, maximum: 18446744073709551615}}
                - {name: action, in: path, required: true, schema: {type: string, enum: [promote, remove]}}
              requestBody:
                required: false
                content:
                  application/json:
                    schema: {type: object, properties: {force: {type: boolean}}, examples: [{force: false}]}
              responses:
                "200": {description: changed, content: {application/json: {schema: {$ref: "#/components/schemas/Members"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles:
            post:
              operationId: enrollVehicle
              tags: [vehicles]
              summary: "Operator: enroll a vehicle with its first owner key (operator client certificate)."
              security: [{operatorCertificate: []}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [vin, ownerPublicKey, ownerFormFactor]
                      properties:
                        vin: {type: string}
                        ownerPublicKey: {type: string, description: base64 uncompressed X9.63 P-256 point}
                        ownerFormFactor: {type: string, enum: [phone, card, fob, cloud]}
                      examples:
                        - {vin: WVWZZZ1JZXW000001, ownerPublicKey: "BPu…", ownerFormFactor: phone}
              responses:
                "200": {description: enrolled, content: {application/json: {schema: {$ref: "#/components/schemas/Change"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {$ref: "#/components/responses/NoSpace"}
          /v1/vehicles/{vin}:
            get:
              operationId: getVehicle
              tags: [vehicles]
              summary: "A vehicle and its live grants, with the revision and consistency they were read at. Owners (signed, command read) and operators see every grant; any other key holder of the vehicle its own grant only; anonymous 401 with WWW-Authenticate."
              security: [{operatorCertificate: []}, {keySignature: []}]
              parameters:
                - {$ref: "#/components/parameters/vin"}
                - {$ref: "#/components/parameters/minRevision"}
                - {$ref: "#/components/parameters/consistency"}
                - {$ref: "#/components/parameters/readHeaders-id"}
                - {$ref: "#/components/parameters/readHeaders-timestamp"}
                - {$ref: "#/components/parameters/readHeaders-nonce"}
                - {$ref: "#/components/parameters/readHeaders-signature"}
              responses:
                "200": {description: the vehicle, content: {application/json: {schema: {$ref: "#/components/schemas/VehicleView"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles/{vin}/audit:
            get:
              operationId: getVehicleAudit
              tags: [vehicles]
              summary: "A page of the vehicle's audit history: owners (signed, command read) and operators only."
              security: [{operatorCertificate: []}, {keySignature: []}]
              parameters:
                - {$ref: "#/components/parameters/vin"}
                - {$ref: "#/components/parameters/minRevision"}
                - {$ref: "#/components/parameters/consistency"}
                - {name: after, in: query, description: records after this revision, schema: {type: integer, minimum: 0, maximum: 18446744073709551615}}
                - {name: limit, in: query, description: "records in the page, 1-100 (default 100; 0 is refused with 400 invalid-query, as the CLI's --limit)", schema: {type: integer, minimum: 1, maximum: 100}}
                - {$ref: "#/components/parameters/readHeaders-id"}
                - {$ref: "#/components/parameters/readHeaders-timestamp"}
                - {$ref: "#/components/parameters/readHeaders-nonce"}
                - {$ref: "#/components/parameters/readHeaders-signature"}
              responses:
                "200": {description: records, content: {application/json: {schema: {$ref: "#/components/schemas/AuditPage"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles/{vin}/key-list:
            get:
              operationId: getVehicleKeyList
              tags: [vehicles]
              summary: "The vehicle's signed, versioned list of active keys, for offline use in the car (its payload states readRevision and consistency): drivers, fleet managers and owners (signed, command read) carry it to the car; operators (the carmaker's backend) too."
              security: [{operatorCertificate: []}, {keySignature: []}]
              parameters:
                - {$ref: "#/components/parameters/vin"}
                - {$ref: "#/components/parameters/minRevision"}
                - {$ref: "#/components/parameters/consistency"}
                - {$ref: "#/components/parameters/readHeaders-id"}
                - {$ref: "#/components/parameters/readHeaders-timestamp"}
                - {$ref: "#/components/parameters/readHeaders-nonce"}
                - {$ref: "#/components/parameters/readHeaders-signature"}
              responses:
                "200": {description: signed list, content: {application/json: {schema: {$ref: "#/components/schemas/SignedDocument"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles/{vin}/keys:
            post:
              operationId: grantKey
              tags: [keys]
              summary: "Owner: grant a key (signed request, command 'grant')."
              security: [{keySignature: []}]
              parameters:
                - {$ref: "#/components/parameters/vin"}
                - {$ref: "#/components/parameters/minRevision"}
                - {$ref: "#/components/parameters/keyHeaders-id"}
                - {$ref: "#/components/parameters/keyHeaders-timestamp"}
                - {$ref: "#/components/parameters/keyHeaders-nonce"}
                - {$ref: "#/components/parameters/keyHeaders-signature"}
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [publicKey, formFactor, role]
                      properties:
                        publicKey: {type: string}
                        formFactor: {type: string, enum: [phone, card, fob, cloud]}
                        role: {type: string, enum: [owner, driver, guest, fleetManager, service, monitor, chargingManager]}
                        permissions: {type: array, items: {type: string, enum: [unlock, lock, drive, trunk, climate, charge]}}
                        notBeforeUnixMs: {type: integer}
                        notAfterUnixMs: {type: integer}
                      examples:
                        - {publicKey: "BPu…", formFactor: phone, role: guest, permissions: [unlock, lock], notAfterUnixMs: 1764100000000}
              responses:
                "200": {description: granted, content: {application/json: {schema: {$ref: "#/components/schemas/Change"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {$ref: "#/components/responses/NoSpace"}
          /v1/vehicles/{vin}/keys/{keyID}/{action}:
            post:
              operationId: changeKey
              tags: [keys]
              summary: "Owner: revoke, suspend or resume a key (signed, command = action; the KeyCluster-* headers are required for these); operator: force-revoke (client certificate, no signature)."
              security: [{keySignature: []}, {operatorCertificate: []}]
              parameters:
                - {$ref: "#/components/parameters/vin"}
                - {$ref: "#/components/parameters/keyID"}
                - {name: action, in: path, required: true, schema: {type: string, enum: [revoke, suspend, resume, force-revoke]}}
                - {$ref: "#/components/parameters/minRevision"}
                - {$ref: "#/components/parameters/readHeaders-id"}
                - {$ref: "#/components/parameters/readHeaders-timestamp"}
                - {$ref: "#/components/parameters/readHeaders-nonce"}
                - {$ref: "#/components/parameters/readHeaders-signature"}
              responses:
                "200": {description: changed, content: {application/json: {schema: {$ref: "#/components/schemas/Change"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {$ref: "#/components/responses/NoSpace"}
          /v1/vehicles/{vin}/recover-owner:
            post:
              operationId: recoverOwner
              tags: [keys]
              summary: "Operator: give a vehicle with no usable owner a new unrestricted owner key (client certificate); the reason is mandatory and kept in the audit with the operator's name."
              security: [{operatorCertificate: []}]
              parameters:
                - {$ref: "#/components/parameters/vin"}
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [ownerPublicKey, ownerFormFactor, reason]
                      properties:
                        ownerPublicKey: {type: string, description: base64 uncompressed X9.63 P-256 point}
                        ownerFormFactor: {type: string, enum: [phone, card, fob, cloud]}
                        reason: {type: string, minLength: 1, maxLength: 512}
                      examples:
                        - {ownerPublicKey: "BPu…", ownerFormFactor: phone, reason: owner lost every key; identity checked in branch}
              responses:
                "200": {description: recovered, content: {application/json: {schema: {$ref: "#/components/schemas/Change"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles/{vin}/commands:
            post:
              operationId: requestVehicleCommand
              tags: [commands]
              summary: "Key holder: ask for a vehicle command (signed, command = the permission); answers a signed token. A refusal of the key is 403 denied-* (or unknown-key), decided at a read point like a token."
              security: [{keySignature: []}]
              parameters:
                - {$ref: "#/components/parameters/vin"}
                - {$ref: "#/components/parameters/minRevision"}
                - {$ref: "#/components/parameters/consistency"}
                - {$ref: "#/components/parameters/keyHeaders-id"}
                - {$ref: "#/components/parameters/keyHeaders-timestamp"}
                - {$ref: "#/components/parameters/keyHeaders-nonce"}
                - {$ref: "#/components/parameters/keyHeaders-signature"}
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [command]
                      properties:
                        command: {type: string, enum: [unlock, lock, drive, trunk, climate, charge]}
                      examples:
                        - {command: unlock}
              responses:
                "200": {description: token, content: {application/json: {schema: {$ref: "#/components/schemas/SignedDocument"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /debug/kv/{key}:
            get:
              operationId: getDebugValue
              tags: [debug]
              summary: "Diagnostic key/value read (tests and benchmarks): served only when the member sets debugRoutes, to operator certificates only; otherwise 404."
              security: [{operatorCertificate: []}]
              parameters: [{$ref: "#/components/parameters/DebugKey"}]
              responses:
                "200": {description: value, content: {application/json: {schema: {$ref: "#/components/schemas/DebugValue"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
            put:
              operationId: putDebugValue
              tags: [debug]
              summary: "Diagnostic key/value write through the log: served only when the member sets debugRoutes, to operator certificates only; otherwise 404."
              security: [{operatorCertificate: []}]
              parameters: [{$ref: "#/components/parameters/DebugKey"}]
              requestBody: {content: {application/octet-stream: {schema: {type: string}}}}
              responses:
                "200": {description: written, content: {application/json: {schema: {$ref: "#/components/schemas/Write"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {$ref: "#/components/responses/NoSpace"}
          /debug/counter/{key}:
            get:
              operationId: getDebugCounter
              tags: [debug]
              summary: "Diagnostic counter read: debugRoutes and an operator certificate only; otherwise 404."
              security: [{operatorCertificate: []}]
              parameters: [{$ref: "#/components/parameters/DebugKey"}]
              responses:
                "200": {description: value, content: {application/json: {schema: {$ref: "#/components/schemas/DebugValue"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
            post:
              operationId: incrementDebugCounter
              tags: [debug]
              summary: "Diagnostic counter increment through the log: debugRoutes and an operator certificate only; otherwise 404."
              security: [{operatorCertificate: []}]
              parameters: [{$ref: "#/components/parameters/DebugKey"}]
              responses:
                "200": {description: incremented, content: {application/json: {schema: {$ref: "#/components/schemas/Write"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {$ref: "#/components/responses/NoSpace"}
        """
}
