import NIOCore

/// The global message sequence `i = 0, 1, 2, …` with each message's stream, due time and bytes.
///
/// Immutable and shared by every connection: a connection pump asks for the due time and stream of the next
/// index and, if it sends the message, has the frame written straight into its outgoing batch buffer.
final class MessageSchedule: Sendable {
    private let synthetic: SyntheticBookTickerEncoder?
    private let recording: RecordingSource?
    /// The synthetic order books and their depth events, for a ``MessageSource/syntheticDepth(_:)`` source.
    let depth: SyntheticDepthFeed?
    /// Synthetic: nanoseconds between messages.
    private let nanosPerMessage: Double
    /// Recording: factor dividing recorded gaps; `nil` replays as fast as possible.
    private let divisor: Double?
    /// Number of messages, or `nil` for an endless synthetic feed.
    let count: Int?
    /// Stream names; a message's stream is an index into this table.
    let streamNames: [String]

    init(source: MessageSource, seed: UInt64) throws {
        switch source {
        case .synthetic(let configuration):
            guard !configuration.symbols.isEmpty, configuration.rate.isFinite, configuration.rate > 0 else {
                throw SimulatorError.invalidSyntheticSource
            }
            let encoder = SyntheticBookTickerEncoder(configuration: configuration, seed: seed)
            self.synthetic = encoder
            self.recording = nil
            self.depth = nil
            self.nanosPerMessage = 1e9 / configuration.rate
            self.divisor = nil
            self.count = configuration.count.map { max(0, $0) }
            self.streamNames = encoder.symbols.map(\.streamName)
        case .recording(let path, let pace):
            let recording = try RecordingSource(path: path)
            self.synthetic = nil
            self.recording = recording
            self.depth = nil
            self.nanosPerMessage = 0
            switch pace {
            case .original: self.divisor = 1
            case .scaled(let factor): self.divisor = factor > 0 && factor.isFinite ? factor : nil
            case .asFastAsPossible: self.divisor = nil
            }
            self.count = recording.count
            self.streamNames = recording.streamNames
        case .syntheticDepth(let configuration):
            let feed = try SyntheticDepthFeed(configuration: configuration, seed: seed)
            self.synthetic = nil
            self.recording = nil
            self.depth = feed
            self.nanosPerMessage = 0
            self.divisor = nil
            self.count = nil
            self.streamNames = feed.streamNames
        }
    }

    /// Whether every message is due at once (a recording replayed as fast as possible).
    var isUnpaced: Bool {
        self.recording != nil && self.divisor == nil
    }

    /// Due time of message `index`, in nanoseconds after the schedule's time base.
    @inline(__always)
    func dueOffset(_ index: Int) -> Int64 {
        if let recording = self.recording {
            guard let divisor = self.divisor else { return 0 }
            let offset = recording.offsetNanos[index]
            return divisor == 1 ? offset : Int64(Double(offset) / divisor)
        }
        if let depth = self.depth { return depth.dueOffset(index) }
        return Int64(Double(index) * self.nanosPerMessage)
    }

    /// Index of the first message due strictly after `offset` (the "live" position at that time).
    func firstIndex(dueAfter offset: Int64) -> Int {
        if let recording = self.recording {
            var low = 0
            var high = recording.count
            while low < high {
                let middle = (low + high) / 2
                if self.dueOffset(middle) <= offset { low = middle + 1 } else { high = middle }
            }
            return low
        }
        if let depth = self.depth { return depth.firstIndex(dueAfter: offset) }
        guard offset >= 0 else { return 0 }
        var index = Int((Double(offset) / self.nanosPerMessage).rounded(.down))
        while self.dueOffset(index) <= offset { index += 1 }
        while index > 0, self.dueOffset(index - 1) > offset { index -= 1 }
        return self.count.map { min($0, index) } ?? index
    }

    /// The sequence id (`u`) of synthetic message `index`; `nil` for a recording (its ids are in the frames).
    func syntheticUpdateID(_ index: Int) -> UInt64? {
        if let depth = self.depth { return depth.message(index).lastID }
        guard let synthetic = self.synthetic else { return nil }
        let symbols = synthetic.symbols.count
        return synthetic.updateID(symbolIndex: index % symbols, ordinal: UInt64(index / symbols))
    }

    /// Stream (index into ``streamNames``) of message `index`.
    @inline(__always)
    func streamID(_ index: Int) -> Int {
        if let recording = self.recording {
            return recording.streamID[index]
        }
        if let depth = self.depth { return depth.streamID(index) }
        return index % self.streamNames.count
    }

    /// Appends message `index` as one complete unmasked text frame to `buffer`.
    ///
    /// - Parameters:
    ///   - combined: wrap in `{"stream":…,"data":…}` (the `/stream` form) instead of the bare payload.
    ///   - wallClockBaseNanos: Unix time of the schedule's time base; synthetic `E`/`T` are derived from it.
    @inline(__always)
    func writeFrame(_ index: Int, combined: Bool, wallClockBaseNanos: Int64, into buffer: inout ByteBuffer) {
        if let recording = self.recording {
            recording.writeFrame(index: index, combined: combined, into: &buffer)
        } else if let synthetic = self.synthetic {
            let millis = UInt64(max(0, wallClockBaseNanos &+ self.dueOffset(index)) / 1_000_000)
            synthetic.writeFrame(index: index, eventTimeMillis: millis, combined: combined, into: &buffer)
        } else if let depth = self.depth {
            depth.writeFrame(index, combined: combined, wallClockBaseNanos: wallClockBaseNanos, into: &buffer)
        }
    }

    /// The text (payload of the frame) of message `index`, for tests comparing what a client received.
    func text(_ index: Int, combined: Bool, wallClockBaseNanos: Int64) -> String {
        var frame = ByteBufferAllocator().buffer(capacity: 512)
        self.writeFrame(index, combined: combined, wallClockBaseNanos: wallClockBaseNanos, into: &frame)
        let second = frame.getInteger(at: frame.readerIndex + 1, as: UInt8.self) ?? 0
        let headerLength = second == 126 ? 4 : second == 127 ? 10 : 2
        frame.moveReaderIndex(forwardBy: headerLength)
        return String(buffer: frame)
    }
}
