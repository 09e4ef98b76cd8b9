// Raft replication for KeyCluster:
// - `Core/` the pure consensus state machine (standard library only, deterministic, simulated);
// - `Log/` the durable log contract with in-memory and LMDB implementations;
// - `Node/` the runtime that ticks the core, persists its output with group commit, applies, and sends;
// - `Transport/` mutual-TLS peer links carrying length-prefixed frames;
// - `Wire/` the protobuf-layout codec of Raft messages (schema in `Wire/raft.proto`).
