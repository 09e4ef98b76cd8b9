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
                if let requestMethod = HTTPRequest.Method(method), RequestClass(method: requestMethod, path: path) != nil {
                    lines.append(##"        "429": {$ref: "#/components/responses/Overloaded"}"##)
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The document as written; `yaml` adds the shared responses.
    static let described = """
        openapi: 3.1.0
        info:
          title: KeyCluster
          version: "0.1"
          description: >
            Vehicle key authorizations replicated with Raft across regions. Errors are RFC 9457 problem
            documents (application/problem+json) with a stable `type`. Writes answer with the revision they
            committed at; reads accept `minRevision` and wait (briefly) until this member has applied it.
        servers:
          - url: https://127.0.0.1:8101
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
              schema: {type: string, pattern: "^[A-HJ-NPR-Z0-9]{17}$"}
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
              schema: {type: string, pattern: "^[0-9a-f]{64}$"}
            keyHeaders-timestamp:
              name: KeyCluster-Timestamp
              in: header
              required: true
              schema: {type: string, pattern: "^[0-9]{1,16}$"}
            keyHeaders-nonce:
              name: KeyCluster-Nonce
              in: header
              required: true
              schema: {type: string, pattern: "^[A-Za-z0-9_-]{16,64}$"}
            keyHeaders-signature:
              name: KeyCluster-Signature
              in: header
              required: true
              schema: {type: string, maxLength: 128}
          schemas:
            Problem:
              type: object
              required: [type, title, status]
              properties:
                type: {type: string}
                title: {type: string}
                status: {type: integer}
                detail: {type: string}
                retryAfterSeconds: {type: integer}
                members: {type: array, items: {type: string}}
            Change:
              type: object
              required: [revision, grant]
              properties:
                revision: {type: integer}
                grant: {type: object}
            SignedDocument:
              type: object
              required: [kind, payload, signature, certificate]
              properties:
                kind: {type: string, enum: [UNLOCK-TOKEN, VEHICLE-KEY-LIST]}
                payload: {type: string, description: base64 of the JSON claims}
                signature: {type: string, description: base64 DER ECDSA P-256 signature}
                certificate: {type: string, description: "base64 DER token-signing certificate of the signing member (its usage OID 2.25.758932329856351061.1, no TLS usage, at most 31 days). A VEHICLE-KEY-LIST payload carries validUntilUnixMs (at most 24 h after issuedAtUnixMs, never past the certificate) and withdrawnSigners (hex SHA-256 of withdrawn signing certificates' DER): vehicles refuse tokens and lists signed by those"}
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
          responses:
            Problem:
              description: The request was refused; nothing changed.
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
          /healthz:
            get:
              summary: "The process is up and its storage works. 503 `storage-failed`: stopped after a storage fault (restart it); 503 `storage-out-of-space`: the disk is full, writes wait and resume by themselves once space is freed."
              responses:
                "200": {description: ok, content: {text/plain: {schema: {type: string}}}}
                "503": {$ref: "#/components/responses/Problem"}
          /readyz:
            get:
              summary: "Ready when a leader is known or bounded reads can be served. `writes` is `refused` while storage alarms stand (listed in `storageAlarms`): unlocks and reads go on, so the member stays ready."
              responses:
                "200":
                  description: ready
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [ready, boundedReads, writes, storageAlarms]
                        properties:
                          ready: {type: boolean}
                          leader: {type: integer}
                          boundedReads: {type: boolean}
                          writes: {type: string, enum: [accepted, refused]}
                          storageAlarms: {type: array, items: {type: string}}
                "503": {$ref: "#/components/responses/Problem"}
          /metrics:
            get:
              summary: Prometheus metrics (requests by route and status, Raft term and indexes, storage commits).
              responses:
                "200": {description: metrics, content: {text/plain: {schema: {type: string}}}}
          /openapi.yaml:
            get:
              summary: This document.
              responses:
                "200": {description: the document, content: {application/yaml: {schema: {type: string}}}}
          /v1/cluster/status:
            get:
              summary: This member's view of the cluster.
              responses:
                "200": {description: status, content: {application/json: {schema: {type: object}}}}
          /v1/cluster/backup:
            get:
              summary: "Operator: a consistent online backup of this member's applied state (KeyCluster snapshot file; see docs/backup-restore.md)."
              responses:
                "200": {description: the backup, content: {application/octet-stream: {schema: {type: string, format: binary}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "500": {$ref: "#/components/responses/Problem"}
                "507": {$ref: "#/components/responses/Problem"}
          /v1/cluster/transfer-leader:
            post:
              summary: "Operator: hand leadership to another voter (e.g. before maintenance)."
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {type: object, required: [to], properties: {to: {type: integer, minimum: 1}}}
              responses:
                "200": {description: transferred, content: {application/json: {schema: {type: object}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/cluster/token-signers/withdraw:
            post:
              summary: "Operator: withdraw a member's token-signing certificate before it expires (its key was copied). Replicated: every member lists it in the key lists it signs (vehicles then refuse what it signed) and its member signs nothing more with it (503 signer-withdrawn) until renewed."
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
              responses:
                "200": {description: withdrawn, content: {application/json: {schema: {$ref: "#/components/schemas/SignerWithdrawal"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/cluster/token-signers/withdrawn:
            get:
              summary: "Operator: the token-signing certificates withdrawn and not yet expired (this member's applied state)."
              responses:
                "200":
                  description: withdrawn certificates
                  content:
                    application/json:
                      schema: {type: object, required: [withdrawn], properties: {withdrawn: {type: array, items: {$ref: "#/components/schemas/SignerWithdrawal"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
          /v1/cluster/members:
            get:
              summary: "Operator: the membership in force (id, region, voter/learner, addresses; lag on the leader)."
              responses:
                "200": {description: members, content: {application/json: {schema: {$ref: "#/components/schemas/Members"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
            post:
              summary: "Operator, on the leader: add a learner (a member started with join: true)."
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
              responses:
                "200": {description: added, content: {application/json: {schema: {$ref: "#/components/schemas/Members"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/cluster/members/{id}/{action}:
            post:
              summary: "Operator, on the leader: promote a caught-up learner to voter, or remove a member (409 while lagging or when placement breaks)."
              parameters:
                - {name: id, in: path, required: true, schema: {type: integer, minimum: 1, maximum: 18446744073709551615}}
                - {name: action, in: path, required: true, schema: {type: string, enum: [promote, remove]}}
              requestBody:
                required: false
                content:
                  application/json:
                    schema: {type: object, properties: {force: {type: boolean}}}
              responses:
                "200": {description: changed, content: {application/json: {schema: {$ref: "#/components/schemas/Members"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles:
            post:
              summary: "Operator: enroll a vehicle with its first owner key (operator client certificate)."
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
              responses:
                "200": {description: enrolled, content: {application/json: {schema: {$ref: "#/components/schemas/Change"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {description: "No space: storage alarms stand (quota.maxStateBytes or quota.freeDiskReserveBytes on some member); revocations and suspensions still pass", content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}}
          /v1/vehicles/{vin}:
            get:
              summary: "A vehicle and its live grants, with the revision and consistency they were read at. Owners (signed, command read) and operators see every grant; any other key holder of the vehicle its own grant only; anonymous 401 with WWW-Authenticate."
              security: [{operatorCertificate: []}, {keySignature: []}]
              parameters: [{$ref: "#/components/parameters/vin"}, {$ref: "#/components/parameters/minRevision"}, {$ref: "#/components/parameters/consistency"}]
              responses:
                "200": {description: the vehicle, content: {application/json: {schema: {type: object}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles/{vin}/audit:
            get:
              summary: "A page of the vehicle's audit history: owners (signed, command read) and operators only."
              security: [{operatorCertificate: []}, {keySignature: []}]
              parameters:
                - {$ref: "#/components/parameters/vin"}
                - {$ref: "#/components/parameters/minRevision"}
                - {$ref: "#/components/parameters/consistency"}
                - {name: after, in: query, schema: {type: integer, minimum: 0, maximum: 18446744073709551615}}
                - {name: limit, in: query, schema: {type: integer, minimum: 0, maximum: 100}}
              responses:
                "200": {description: records, content: {application/json: {schema: {type: object}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles/{vin}/key-list:
            get:
              summary: "The vehicle's signed, versioned list of active keys, for offline use in the car (its payload states readRevision and consistency): drivers, fleet managers and owners (signed, command read) carry it to the car; operators (the carmaker's backend) too."
              security: [{operatorCertificate: []}, {keySignature: []}]
              parameters: [{$ref: "#/components/parameters/vin"}, {$ref: "#/components/parameters/minRevision"}, {$ref: "#/components/parameters/consistency"}]
              responses:
                "200": {description: signed list, content: {application/json: {schema: {$ref: "#/components/schemas/SignedDocument"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles/{vin}/keys:
            post:
              summary: "Owner: grant a key (signed request, command 'grant')."
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
              responses:
                "200": {description: granted, content: {application/json: {schema: {$ref: "#/components/schemas/Change"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {description: "No space: storage alarms stand (quota.maxStateBytes or quota.freeDiskReserveBytes on some member); revocations and suspensions still pass", content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}}
          /v1/vehicles/{vin}/keys/{keyID}/{action}:
            post:
              summary: "Owner: revoke, suspend or resume a key (signed, command = action); operator: force-revoke (client certificate)."
              parameters:
                - {$ref: "#/components/parameters/vin"}
                - {$ref: "#/components/parameters/keyID"}
                - {name: action, in: path, required: true, schema: {type: string, enum: [revoke, suspend, resume, force-revoke]}}
                - {$ref: "#/components/parameters/minRevision"}
              responses:
                "200": {description: changed, content: {application/json: {schema: {$ref: "#/components/schemas/Change"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {description: "No space: storage alarms stand (quota.maxStateBytes or quota.freeDiskReserveBytes on some member); revocations and suspensions still pass", content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}}
          /v1/vehicles/{vin}/recover-owner:
            post:
              summary: "Operator: give a vehicle with no usable owner a new unrestricted owner key (client certificate); the reason is mandatory and kept in the audit with the operator's name."
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
              responses:
                "200": {description: recovered, content: {application/json: {schema: {$ref: "#/components/schemas/Change"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /v1/vehicles/{vin}/commands:
            post:
              summary: "Key holder: ask for a vehicle command (signed, command = the permission); answers a signed token."
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
              responses:
                "200": {description: token, content: {application/json: {schema: {$ref: "#/components/schemas/SignedDocument"}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
          /debug/kv/{key}:
            get:
              summary: "Diagnostic key/value read (tests and benchmarks): served only when the member sets debugRoutes, to operator certificates only; otherwise 404."
              parameters: [{$ref: "#/components/parameters/DebugKey"}]
              responses:
                "200": {description: value, content: {application/json: {schema: {type: object}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
            put:
              summary: "Diagnostic key/value write through the log: served only when the member sets debugRoutes, to operator certificates only; otherwise 404."
              parameters: [{$ref: "#/components/parameters/DebugKey"}]
              requestBody: {content: {application/octet-stream: {schema: {type: string}}}}
              responses:
                "200": {description: written, content: {application/json: {schema: {type: object}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {description: "No space: storage alarms stand (quota.maxStateBytes or quota.freeDiskReserveBytes on some member); revocations and suspensions still pass", content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}}
          /debug/counter/{key}:
            get:
              summary: "Diagnostic counter read: debugRoutes and an operator certificate only; otherwise 404."
              parameters: [{$ref: "#/components/parameters/DebugKey"}]
              responses:
                "200": {description: value, content: {application/json: {schema: {type: object}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
            post:
              summary: "Diagnostic counter increment through the log: debugRoutes and an operator certificate only; otherwise 404."
              parameters: [{$ref: "#/components/parameters/DebugKey"}]
              responses:
                "200": {description: incremented, content: {application/json: {schema: {type: object}}}}
                "4XX": {$ref: "#/components/responses/Problem"}
                "503": {$ref: "#/components/responses/Problem"}
                "507": {description: "No space: storage alarms stand (quota.maxStateBytes or quota.freeDiskReserveBytes on some member); revocations and suspensions still pass", content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}}
        """
}
