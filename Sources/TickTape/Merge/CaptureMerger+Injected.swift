/// Lines that come from beside the merged stream: the REST depth snapshots a book was built
/// from, and book checkpoints (``BookSnapshotLine``), so the capture alone rebuilds every book.
extension CaptureMerger {
    /// Asks for `line` (a frame, no stamp, no newline) to be written into the capture with
    /// `receivedAt` as its stamp; any thread. It goes in between batches, in arrival order
    /// among the merged lines; it belongs to no stream, so no late copy is ever placed before it.
    package func inject(line: [UInt8], receivedAt: Int64) {
        injected.withLock { $0.append((line, receivedAt)) }
    }

    /// Merger thread, between batches.
    func writeInjected() {
        let lines = injected.withLock { pending -> [(line: [UInt8], receivedAt: Int64)] in
            guard !pending.isEmpty else { return [] }
            defer { pending.removeAll() }
            return pending
        }
        for (line, receivedAt) in lines {
            line.withUnsafeBytes { bytes in
                if !output.append(receivedAt: receivedAt, payload: bytes, slot: -1, id: 0) {
                    rollOver(minimumFree: LineBuffer.lineSize(payloadCount: bytes.count), keepTail: true, now: WallClock.monotonicNanos())
                    guard output.append(receivedAt: receivedAt, payload: bytes, slot: -1, id: 0) else {
                        statistics.storageDrops.bump()
                        return
                    }
                }
                if output.lines == 1 { output.startedAt = WallClock.monotonicNanos() }
            }
        }
    }
}
