#if canImport(Glibc)
import Glibc
#endif

/// `GET /api/v1/status`: what an operator asks of a running daemon, in one document.
///
/// Per capture: message totals and rate, merge figures (holes, late copies), the merged
/// stream's latency, every connection (state, rates, latency and lag from the last telemetry
/// window and since start, win share, ring depth, ping), the alarms standing and storage
/// (bytes, segments, the open segment, sealing, the gap ledger's last entries, the durability
/// alarms). Then the data directory's disk, the
/// books' figures, the relay's and the listener's, and the sinks.
///
/// It reads only what is published for other threads (atomics, telemetry snapshots, the
/// figures mutexes), so a poll costs the capture path nothing.
extension ServeAPI {
    func status(_ view: ServeAPIView) -> JSONValue {
        let snapshots = view.engine.telemetry?.snapshots ?? [:]
        let captures: [JSONValue] = view.engine.captures.map { capture in
            captureStatus(capture, snapshot: snapshots[capture.config.name])
        }
        var fields: [(String, JSONValue)] = [
            ("version", .string(TickTapeVersion.current)),
            ("captures", .array(captures)),
            ("disk", Self.disk(view.config.dataDirectory)),
        ]
        if let books = view.books {
            let f = books.currentFigures
            fields.append(
                (
                    "books",
                    .object([
                        ("diffsApplied", ServeAPIJSON.int(f.applied)), ("snapshotsApplied", ServeAPIJSON.int(f.snapshotsApplied)),
                        ("resyncs", ServeAPIJSON.int(f.resyncs)), ("crossed", ServeAPIJSON.int(f.crossed)),
                        ("recordsLost", ServeAPIJSON.int(f.lostRecords)), ("snapshotLines", ServeAPIJSON.int(f.snapshotLines)),
                        ("barsClosed", ServeAPIJSON.int(f.barsClosed)), ("tickerDisagreements", ServeAPIJSON.int(f.tickerDisagreements)),
                    ])
                ))
        } else {
            fields.append(("books", .null))
        }
        if let hub = view.hub {
            let f = hub.currentFigures
            fields.append(
                (
                    "relay",
                    .object([
                        ("clients", ServeAPIJSON.int(f.clients)), ("messagesIn", ServeAPIJSON.int(f.messagesIn)),
                        ("writes", ServeAPIJSON.int(f.writes)), ("slowClosed", ServeAPIJSON.int(f.slowClosed)),
                        ("lostClosed", ServeAPIJSON.int(f.lostClosed)),
                        ("openConnections", ServeAPIJSON.int(view.engine.serve?.openConnections ?? 0)),
                        ("refusedConnections", ServeAPIJSON.int(view.engine.serve?.refused.load(ordering: .relaxed) ?? 0)),
                    ])
                ))
        } else {
            fields.append(("relay", .null))
        }
        fields.append(
            (
                "sinks",
                .array(
                    view.engine.sinkStatistics.map { sink in
                        .object([
                            ("name", .string(sink.sink)), ("capture", .string(sink.capture)),
                            ("connected", .bool(sink.connected.load(ordering: .relaxed))),
                            ("rows", ServeAPIJSON.int(sink.rowsWritten.load(ordering: .relaxed))),
                            ("lagMessages", ServeAPIJSON.int(sink.lagMessages.load(ordering: .relaxed))),
                            ("lagSeconds", ServeAPIJSON.number(Double(sink.lagMicros.load(ordering: .relaxed)) / 1e6)),
                            ("rowsPerSecond", ServeAPIJSON.number(Double(sink.rowsPerSecondMilli.load(ordering: .relaxed)) / 1000)),
                            ("errors", ServeAPIJSON.int(sink.errors.load(ordering: .relaxed))),
                            ("retries", ServeAPIJSON.int(sink.retries.load(ordering: .relaxed))),
                            ("lastError", sink.lastError.map(JSONValue.string) ?? .null),
                        ])
                    })
            ))
        return .object(fields)
    }

    private func captureStatus(_ capture: Capture, snapshot: CaptureTelemetrySnapshot?) -> JSONValue {
        let st = capture.merger.statistics
        let merge = st.merge
        var fields: [(String, JSONValue)] = [
            ("name", .string(capture.config.name)),
            ("url", .string(capture.config.endpoint.url)),
            ("delivering", .bool(capture.isDelivering)),
            (
                "messages",
                .object([
                    ("emitted", ServeAPIJSON.int(st.emitted.load(ordering: .relaxed))),
                    ("perSecond", ServeAPIJSON.optionalNumber(snapshot?.messagesPerSecond)),
                    ("late", ServeAPIJSON.int(st.lateMessages.load(ordering: .relaxed))),
                    ("gaps", ServeAPIJSON.int(st.gaps.load(ordering: .relaxed))),
                    ("missingIds", ServeAPIJSON.int(st.missingIDs.load(ordering: .relaxed))),
                    ("silentStreams", ServeAPIJSON.int(st.silentStreams.load(ordering: .relaxed))),
                    ("storageDrops", ServeAPIJSON.int(st.storageDrops.load(ordering: .relaxed))),
                ])
            ),
            (
                "merge",
                .object([
                    ("holesFilled", ServeAPIJSON.int(merge.holesFilled)), ("holesExpired", ServeAPIJSON.int(merge.holesExpired)),
                    ("heldCopies", ServeAPIJSON.int(merge.heldCopies)), ("latePlaced", ServeAPIJSON.int(merge.latePlaced)),
                    ("lateDropped", ServeAPIJSON.int(merge.lateDropped)), ("holeWaitNanos", ServeAPIJSON.int(merge.holeWaitNanos)),
                ])
            ),
        ]
        if let snapshot {
            fields.append(
                (
                    "telemetry",
                    .object([
                        ("windows", ServeAPIJSON.int(snapshot.windows)), ("windowSeconds", ServeAPIJSON.number(snapshot.windowSeconds)),
                        ("windowEndedAtNanos", .int(snapshot.windowEndedAt)),
                        ("latencyEventMicros", ServeAPIJSON.figure(snapshot.mergedEvent)),
                        ("latencyTransactionMicros", ServeAPIJSON.figure(snapshot.mergedTransaction)),
                    ])
                ))
        } else {
            fields.append(("telemetry", .null))
        }
        let byIndex = Dictionary((snapshot?.connections ?? []).map { ($0.connection, $0) }, uniquingKeysWith: { a, _ in a })
        let windowSeconds = snapshot?.windowSeconds ?? 0
        fields.append(
            (
                "connections",
                .array(
                    capture.sessions.map { session in
                        Self.connection(session.statistics.snapshot, telemetry: byIndex[session.index], windowSeconds: windowSeconds)
                    })
            ))
        fields.append(
            (
                "alarms",
                .array(
                    (snapshot?.alarms ?? []).map { alarm in
                        .object([
                            ("kind", .string(alarm.kind.rawValue)), ("connection", alarm.connection.map { .int(Int64($0)) } ?? .null),
                            ("detail", .string(alarm.detail)),
                        ])
                    })
            ))
        fields.append(("storage", Self.storage(capture.writer)))
        return .object(fields)
    }

    private static func connection(
        _ c: ConnectionStatistics.Snapshot, telemetry t: ConnectionTelemetrySnapshot?, windowSeconds: Double
    ) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("index", ServeAPIJSON.int(c.index)),
            ("state", .string(c.connected ? "connected" : "disconnected")),
            ("framesReceived", ServeAPIJSON.int(c.framesReceived)),
            ("wins", ServeAPIJSON.int(c.wins)), ("duplicates", ServeAPIJSON.int(c.duplicates)),
            ("lateCopies", ServeAPIJSON.int(c.lateCopies)), ("holesFilled", ServeAPIJSON.int(c.holesFilled)),
            ("malformed", ServeAPIJSON.int(c.malformed)), ("ringDrops", ServeAPIJSON.int(c.ringDrops)),
            ("connects", ServeAPIJSON.int(c.connects)), ("reconnects", ServeAPIJSON.int(max(0, c.connects - 1))),
            ("disconnects", ServeAPIJSON.int(c.disconnects)), ("staleEvents", ServeAPIJSON.int(c.staleEvents)),
            ("pingRoundTripNanos", c.pongs > 0 ? ServeAPIJSON.int(c.pingRoundTripNanos) : .null),
        ]
        if let t {
            fields += [
                ("uptimeSeconds", ServeAPIJSON.number(t.uptimeSeconds)),
                ("messagesPerSecond", windowSeconds > 0 ? ServeAPIJSON.number(Double(t.messages) / windowSeconds) : .null),
                ("winShare", ServeAPIJSON.optionalNumber(t.winShare)),
                ("winShareTotal", ServeAPIJSON.optionalNumber(t.winShareTotal)),
                ("ringDepth", ServeAPIJSON.int(t.ringDepth)), ("ringDepthMax", ServeAPIJSON.int(t.ringDepthMax)),
                ("ringCapacity", ServeAPIJSON.int(t.ringCapacity)),
                ("latencyEventMicros", ServeAPIJSON.figure(t.latencyEvent)),
                ("latencyTransactionMicros", ServeAPIJSON.figure(t.latencyTransaction)),
                ("lagNanos", ServeAPIJSON.figure(t.lag)),
            ]
        } else {
            fields += [
                ("uptimeSeconds", .null), ("messagesPerSecond", .null), ("winShare", .null), ("winShareTotal", .null),
                ("ringDepth", .null), ("ringDepthMax", .null), ("ringCapacity", .null), ("latencyEventMicros", .null),
                ("latencyTransactionMicros", .null), ("lagNanos", .null),
            ]
        }
        return .object(fields)
    }

    private static func storage(_ writer: SegmentWriter) -> JSONValue {
        let h = writer.health.snapshot
        let disk = writer.sealer?.onDisk ?? CaptureDiskFigures()
        return .object([
            ("bytesWritten", ServeAPIJSON.int(writer.bytesWritten.load(ordering: .relaxed))),
            ("linesWritten", ServeAPIJSON.int(writer.linesWritten.load(ordering: .relaxed))),
            ("segmentsClosed", ServeAPIJSON.int(writer.segmentsClosed.load(ordering: .relaxed))),
            ("segmentsSealed", ServeAPIJSON.int(writer.sealer?.sealedCount.load(ordering: .relaxed) ?? 0)),
            ("sealBacklog", ServeAPIJSON.int(writer.sealer?.backlog ?? 0)),
            ("bytesOnDisk", disk.listedAt == 0 ? .null : .int(disk.bytes)),
            ("sealedOnDisk", disk.listedAt == 0 ? .null : ServeAPIJSON.int(disk.sealedSegments)),
            ("sealedToday", disk.listedAt == 0 ? .null : ServeAPIJSON.int(disk.sealedToday)),
            ("openSegment", writer.glance.openSegmentName.map(JSONValue.string) ?? .null),
            ("recentGaps", .array(writer.glance.recentGaps.map(\.json))),
            ("alarms", ServeAPIJSON.strings(writer.health.statusAlarms)),
            (
                "failures",
                .object([
                    ("writeErrors", ServeAPIJSON.int(h.writeErrors)), ("segmentFsync", ServeAPIJSON.int(h.segmentSyncFailures)),
                    ("directoryFsync", ServeAPIJSON.int(h.directorySyncFailures)),
                    ("gapLedgerWrite", ServeAPIJSON.int(h.ledgerWriteFailures)), ("gapLedgerFsync", ServeAPIJSON.int(h.ledgerSyncFailures)),
                    ("recoveryScan", ServeAPIJSON.int(h.recoveryScanFailures)), ("seal", ServeAPIJSON.int(h.sealFailures)),
                    ("sealJobsSetAside", ServeAPIJSON.int(h.sealJobsSetAside)),
                ])
            ),
        ])
    }

    /// The data directory's file system: free and total bytes (`statvfs`), null if it fails.
    static func disk(_ path: String) -> JSONValue {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else {
            return .object([("path", .string(path)), ("freeBytes", .null), ("totalBytes", .null)])
        }
        let block = Int64(s.f_frsize)
        return .object([
            ("path", .string(path)), ("freeBytes", .int(Int64(s.f_bavail) * block)), ("totalBytes", .int(Int64(s.f_blocks) * block)),
        ])
    }
}
