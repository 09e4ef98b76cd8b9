import RaftCore

/// A snapshot as the simulated runtime keeps it: the core's metadata and the state machine's bytes.
struct SimSnapshot: Equatable {
    let metadata: SnapshotMetadata
    let bytes: [UInt8]
}

/// One incoming snapshot transfer, assembled from chunks that may arrive lost, duplicated or out of order.
struct SnapshotAssembly {
    /// A transfer claiming more bytes than this is malformed; the simulated state machine stays far below it.
    static let maxSnapshotBytes = 1 << 20

    let metadata: SnapshotMetadata
    private var chunks: [Int: [UInt8]] = [:]
    private var totalBytes: Int?

    init(metadata: SnapshotMetadata) {
        self.metadata = metadata
    }

    /// Adds `chunk`; returns the whole snapshot once every byte up to the last chunk is here.
    mutating func add(_ chunk: InstallSnapshotChunk) -> [UInt8]? {
        let end = chunk.offset + chunk.data.count
        guard chunk.offset >= 0, end <= Self.maxSnapshotBytes, end <= (totalBytes ?? Self.maxSnapshotBytes) else {
            return nil
        }
        if chunk.isLast {
            totalBytes = end
        }
        chunks[chunk.offset] = chunk.data
        guard let totalBytes else { return nil }
        var bytes: [UInt8] = []
        while bytes.count < totalBytes, let next = chunks[bytes.count], !next.isEmpty {
            bytes += next
        }
        return bytes.count == totalBytes ? bytes : nil
    }
}

/// A member's snapshots: the durable one (saved atomically with its state machine), and the volatile
/// transfer state a crash loses — the assembly in progress and snapshots accepted but not yet installed.
struct SimSnapshots {
    private(set) var durable: SimSnapshot?
    var assembly: SnapshotAssembly?
    /// Accepted by `RaftCore.restore`, installed when the Ready carrying `snapshotToInstall` is durable.
    var accepted: [LogIndex: SimSnapshot] = [:]
    /// Snapshots received from a leader and installed, for coverage.
    private(set) var installCount = 0

    mutating func save(_ snapshot: SimSnapshot) {
        precondition(snapshot.metadata.index > durable?.metadata.index ?? 0, "snapshots only move forward")
        durable = snapshot
    }

    mutating func recordInstall(_ snapshot: SimSnapshot) {
        save(snapshot)
        installCount += 1
    }

    mutating func forgetVolatile() {
        assembly = nil
        accepted.removeAll()
    }

    /// The state machine a restart begins with, and the index it has applied.
    func durableStateMachine(of id: NodeID) throws(SimulationFailure) -> (
        stateMachine: KeyValueStateMachine, appliedIndex: LogIndex
    ) {
        guard let durable else { return (KeyValueStateMachine(), 0) }
        guard let stateMachine = KeyValueStateMachine(snapshotBytes: durable.bytes) else {
            throw SimulationFailure(
                invariant: "snapshot contract", detail: "\(id) cannot decode its own \(durable.metadata)")
        }
        return (stateMachine, durable.metadata.index)
    }
}

extension SimNode {
    /// The runtime's snapshot policy: when the core says enough was applied, save the state machine at
    /// its applied index and compact the log (the core's copy, then the disk's, through the same index).
    func snapshotIfDue() throws(SimulationFailure) {
        guard let core, core.shouldSnapshot, stateMachineAppliedIndex > core.latestSnapshot?.index ?? 0,
            let metadata = core.snapshotMetadata(at: stateMachineAppliedIndex)
        else { return }
        snapshots.save(SimSnapshot(metadata: metadata, bytes: stateMachine.snapshotBytes))
        var compactThrough: LogIndex?
        withCore { compactThrough = $0.compact(through: metadata.index, snapshot: metadata) }
        guard let compactThrough else { return }
        do {
            try disk.compact(through: compactThrough)
        } catch {
            throw SimulationFailure(
                invariant: "storage contract", detail: "\(id) could not compact through \(compactThrough): \(error)")
        }
    }

    /// A leader's `Ready.snapshotsToSend` entry as chunk messages of at most `chunkBytes` each. The
    /// latest saved snapshot goes out: it may be newer than the one asked for, which is as good.
    func snapshotChunks(for transfer: SnapshotSend, chunkBytes: Int) throws(SimulationFailure) -> [Message] {
        guard let durable = snapshots.durable, durable.metadata.index >= transfer.metadata.index else {
            throw SimulationFailure(
                invariant: "snapshot contract",
                detail:
                    "\(id) was asked to send \(transfer.metadata) but holds \(snapshots.durable.map { "\($0.metadata)" } ?? "none")"
            )
        }
        return stride(from: 0, to: max(durable.bytes.count, 1), by: chunkBytes).map { offset in
            let end = min(offset + chunkBytes, durable.bytes.count)
            let chunk = InstallSnapshotChunk(
                metadata: durable.metadata, offset: offset, data: Array(durable.bytes[offset..<end]),
                isLast: end == durable.bytes.count)
            return Message(from: id, to: transfer.to, term: transfer.term, body: .installSnapshotChunk(chunk))
        }
    }

    /// Collects a chunk; once a snapshot is complete, offers it to the core.
    func receiveSnapshotChunk(_ message: Message) {
        guard isUp, case .installSnapshotChunk(let chunk) = message.body else { return }
        if snapshots.assembly?.metadata != chunk.metadata {
            snapshots.assembly = SnapshotAssembly(metadata: chunk.metadata)
        }
        guard let bytes = snapshots.assembly?.add(chunk) else { return }
        snapshots.assembly = nil
        var accepted = false
        withCore { accepted = (try? $0.restore(chunk.metadata, from: message.from, term: message.term)) != nil }
        if accepted {
            snapshots.accepted[chunk.metadata.index] = SimSnapshot(metadata: chunk.metadata, bytes: bytes)
        }
    }

    /// `Ready.snapshotToInstall`: state machine, durable snapshot and disk log change together.
    func install(_ metadata: SnapshotMetadata) throws(SimulationFailure) {
        guard let received = snapshots.accepted.removeValue(forKey: metadata.index), received.metadata == metadata,
            let restored = KeyValueStateMachine(snapshotBytes: received.bytes)
        else {
            throw SimulationFailure(
                invariant: "snapshot contract", detail: "\(id) must install \(metadata) but did not receive it intact")
        }
        guard metadata.index > stateMachineAppliedIndex else {
            throw SimulationFailure(
                invariant: "state machine safety",
                detail: "\(id) would install \(metadata) over a state machine that applied \(stateMachineAppliedIndex)")
        }
        snapshots.recordInstall(received)
        stateMachine = restored
        stateMachineAppliedIndex = metadata.index
        disk.restore(toSnapshot: metadata.position)
    }
}
