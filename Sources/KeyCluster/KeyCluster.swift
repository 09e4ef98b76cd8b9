// The key-authorization service: vehicles, keys, grants, signed unlock decisions and the HTTP API.
// Built on the Raft module once the running node exists (see the project's issues); empty until then.
