/// The stored lines a replay session sends, in order: for each capture its segments in name
/// order, lines in file order, from the first line received at or after `from` to the last
/// before the first one received after `to`; captures merged by receive stamp.
///
/// Why a contiguous run rather than "every line stamped within [from, to]": a capture is in
/// exchange-sequence order, and a late copy placed in its id order may carry an earlier
/// stamp than the line before it. The replay must be byte-identical to the capture, so once
/// it starts it sends the file as it is.
///
/// Segments are chosen by their manifests (time span, streams) and never opened when they
/// cannot contribute; at most one segment per capture is open at a time.
final class ReplayCursor {
    /// A line ready to send. `frame` points into the cursor's buffers and is valid until the
    /// next call to ``advance()``.
    struct Line {
        var stamp: Int64
        var stream: String
        var kind: ReplayStreamResolver.Kind
        var capture: Int
        var location: (segment: String, line: Int)
    }

    private final class CaptureState {
        let segments: [ReplaySegment]
        var index = 0
        var reader: SegmentLineCursor?
        var head: SegmentLineCursor.Line?
        var headStream = ""
        var headKind = ReplayStreamResolver.Kind.other
        var started = false
        var done = false
        var resolver = ReplayStreamResolver()
        init(segments: [ReplaySegment]) { self.segments = segments }
    }

    private let states: [CaptureState]
    private let from: Int64
    private let to: Int64
    /// Streams to send; lines of others are skipped (and segments without any never opened).
    private(set) var streams: Set<String>
    /// Whether `{"snapshot":…}` lines are sent.
    let snapshots: Bool
    private var current = -1

    /// `resume`: a history continuation (segment base and lines already read in it) for one capture.
    init(
        catalog: ReplayCatalog, from: Int64, to: Int64, streams: Set<String>, snapshots: Bool,
        resume: (capture: String, segment: String, line: Int)? = nil
    ) throws {
        self.from = from
        self.to = to
        self.streams = streams
        self.snapshots = snapshots
        var states: [CaptureState] = []
        for capture in catalog.captures {
            if let resume, resume.capture != capture.name { continue }
            let state = CaptureState(segments: capture.segments)
            states.append(state)
            if let resume {
                guard let k = capture.segments.firstIndex(where: { $0.base == resume.segment }) else {
                    state.done = true
                    continue
                }
                state.index = k
                state.started = true
                state.reader = SegmentLineCursor(path: capture.segments[k].path)
                while let reader = state.reader, reader.lineNumber < resume.line, try reader.next() != nil {}
            }
        }
        self.states = states
        for state in states where !state.done { try fillHead(state) }
    }

    /// Changes the streams sent from the next line on.
    func setStreams(_ names: Set<String>) throws {
        streams = names
        for state in states where !state.done && state.head != nil && !wanted(state.headKind, state.headStream) {
            state.head = nil
            try fillHead(state)
        }
    }

    /// The next line to send, nil when the stretch is over.
    func peek() -> Line? {
        var best = -1
        var bestStamp = Int64.max
        for (k, state) in states.enumerated() where !state.done {
            if let head = state.head, head.stamp < bestStamp {
                best = k
                bestStamp = head.stamp
            }
        }
        current = best
        guard best >= 0, let head = states[best].head, let reader = states[best].reader else { return nil }
        let state = states[best]
        return Line(
            stamp: head.stamp, stream: state.headStream, kind: state.headKind, capture: best,
            location: (state.segments[state.index].base, reader.lineNumber))
    }

    /// Calls `body` with the frame bytes of the line ``peek()`` returned.
    @discardableResult
    func withFrame<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let state = states[current]
        let range = state.head!.frame
        return try state.reader!.bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// Moves past the line ``peek()`` returned.
    func advance() throws {
        guard current >= 0 else { return }
        let state = states[current]
        state.head = nil
        try fillHead(state)
    }

    private func wanted(_ kind: ReplayStreamResolver.Kind, _ stream: String) -> Bool {
        switch kind {
        case .data: streams.contains(stream)
        case .snapshot: snapshots
        case .other: false
        }
    }

    /// Reads `state`'s next wanted line into its head, opening later segments as needed.
    private func fillHead(_ state: CaptureState) throws {
        while !state.done {
            if state.reader == nil {
                guard state.index < state.segments.count else {
                    state.done = true
                    return
                }
                let segment = state.segments[state.index]
                // A segment that cannot hold a wanted line in range is never opened (before the
                // start only: once started, a later segment past `to` ends the stretch below).
                let skip = !state.started && !segment.mayOverlap(from: from, to: to)
                if skip || (!snapshots && !segment.mayCarry(streams)) {
                    if let first = segment.manifest?.firstReceivedAt, first > to {
                        state.done = true
                        return
                    }
                    state.index += 1
                    continue
                }
                // A segment sealed since the catalog was taken is read under its new name.
                state.reader =
                    SegmentLineCursor(path: segment.path)
                    ?? SegmentLineCursor(path: segment.path.replacingSuffix(SegmentName.openSuffix, with: SegmentName.closedSuffix))
                    ?? SegmentLineCursor(path: segment.path.replacingSuffix(SegmentName.openSuffix, with: SegmentName.sealedSuffix))
                    ?? SegmentLineCursor(path: segment.path.replacingSuffix(SegmentName.closedSuffix, with: SegmentName.sealedSuffix))
                if state.reader == nil {
                    state.index += 1
                    continue
                }
            }
            guard let reader = state.reader, let line = try reader.next() else {
                state.reader = nil
                state.index += 1
                continue
            }
            if !state.started {
                guard line.stamp >= from else { continue }
                state.started = true
            }
            if line.stamp > to {
                state.done = true
                state.reader = nil
                return
            }
            let (kind, stream) = reader.bytes.withUnsafeBytes { raw in
                state.resolver.resolve(UnsafeRawBufferPointer(rebasing: raw[line.frame]))
            }
            guard wanted(kind, stream) else { continue }
            state.head = line
            state.headKind = kind
            state.headStream = stream
            return
        }
    }
}

extension String {
    /// `self` with `suffix` replaced by `other` (unchanged if it does not end with `suffix`).
    fileprivate func replacingSuffix(_ suffix: String, with other: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + other : self
    }
}
