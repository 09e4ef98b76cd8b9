// Raft replication for KeyCluster: `Core/` is the pure consensus state machine (standard library only),
// `Log/` the durable log contract and its implementations. The node runtime and peer transport follow
// in later work (see the project's issues).
