// Raft replication for KeyCluster, four targets under Sources/Raft (Package.swift states the graph):
// - `RaftCore` (`Core/`): the pure consensus state machine — no dependencies, deterministic, simulated;
// - `RaftWire` (`Wire/`): the protobuf-layout codec of Raft messages (schema in `Wire/raft.proto`);
// - `RaftTransport` (`Transport/`): mutual-TLS peer links carrying length-prefixed frames;
// - `RaftNode` (this folder's `Node/` and `Log/`): the runtime that ticks the core on its own thread,
//   persists its output with group commit (the durable log stores), applies, and sends through the
//   codec and the transport.
