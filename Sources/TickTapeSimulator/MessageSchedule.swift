import NIOCore

/// The global message sequence `i = 0, 1, 2, …` with each message's stream, due time and bytes.
///
/// Immutable and shared by every connection: a connection pump asks for the due time and stream of the next
/// index and, if it sends the message, has the bytes written straight into its outgoing batch buffer.
final class MessageSchedule: Sendable {
    private enum Kind: Sendable {
        case synthetic(SyntheticBookTickerEncoder, nanosPerMessage: Double, count: Int?)
        case recording(RecordingSource, divisor: Double?)
    }

    private let kind: Kind
    /// Stream names; a message's stream is an index into this table.
    let streamNames: [String]
    /// `{"stream":"<name>","data":` per stream, for wrapping synthetic payloads.
    private let envelopePrefixes: [[UInt8]]

    init(source: MessageSource, seed: UInt64) throws {
        switch source {
        case .synthetic(let synthetic):
            guard !synthetic.symbols.isEmpty, synthetic.rate.isFinite, synthetic.rate > 0 else {
                throw SimulatorError.invalidSyntheticSource
            }
            let encoder = SyntheticBookTickerEncoder(configuration: synthetic, seed: seed)
            self.kind = .synthetic(encoder, nanosPerMessage: 1e9 / synthetic.rate, count: synthetic.count)
            self.streamNames = encoder.symbols.map(\.streamName)
        case .recording(let path, let pace):
            let recording = try RecordingSource(path: path)
            let divisor: Double?
            switch pace {
            case .original: divisor = 1
            case .scaled(let factor): divisor = factor > 0 && factor.isFinite ? factor : nil
            case .asFastAsPossible: divisor = nil
            }
            self.kind = .recording(recording, divisor: divisor)
            self.streamNames = recording.streamNames
        }
        self.envelopePrefixes = self.streamNames.map { Array(#"{"stream":""#.utf8) + Array($0.utf8) + Array(#"","data":"#.utf8) }
    }

    /// Number of messages, or `nil` for an endless synthetic feed.
    var count: Int? {
        switch self.kind {
        case .synthetic(_, _, let count): count
        case .recording(let recording, _): recording.count
        }
    }

    /// Whether every message is due at once (a recording replayed as fast as possible).
    var isUnpaced: Bool {
        if case .recording(_, divisor: nil) = self.kind { return true }
        return false
    }

    /// Due time of message `index`, in nanoseconds after the schedule's time base.
    @inline(__always)
    func dueOffset(_ index: Int) -> Int64 {
        switch self.kind {
        case .synthetic(_, let nanosPerMessage, _):
            return Int64(Double(index) * nanosPerMessage)
        case .recording(let recording, let divisor):
            guard let divisor else { return 0 }
            return divisor == 1 ? recording.offsetNanos[index] : Int64(Double(recording.offsetNanos[index]) / divisor)
        }
    }

    /// Index of the first message due strictly after `offset` (the "live" position at that time).
    func firstIndex(dueAfter offset: Int64) -> Int {
        switch self.kind {
        case .synthetic(_, let nanosPerMessage, let count):
            guard offset >= 0 else { return 0 }
            var index = Int((Double(offset) / nanosPerMessage).rounded(.down))
            while self.dueOffset(index) <= offset { index += 1 }
            while index > 0, self.dueOffset(index - 1) > offset { index -= 1 }
            return count.map { min($0, index) } ?? index
        case .recording(let recording, _):
            var low = 0
            var high = recording.count
            while low < high {
                let middle = (low + high) / 2
                if self.dueOffset(middle) <= offset { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// Stream (index into ``streamNames``) of message `index`.
    @inline(__always)
    func streamID(_ index: Int) -> Int {
        switch self.kind {
        case .synthetic(let encoder, _, _): index % encoder.symbols.count
        case .recording(let recording, _): recording.streamID[index]
        }
    }

    /// Appends message `index` as one complete unmasked text frame to `buffer`.
    ///
    /// - Parameters:
    ///   - combined: wrap in `{"stream":…,"data":…}` (the `/stream` form) instead of the bare payload.
    ///   - wallClockBaseNanos: Unix time of the schedule's time base; synthetic `E`/`T` are derived from it.
    ///   - scratch: reusable buffer for payloads whose length is not known before encoding.
    @inline(__always)
    func writeFrame(
        _ index: Int,
        combined: Bool,
        wallClockBaseNanos: Int64,
        into buffer: inout ByteBuffer,
        scratch: inout ByteBuffer
    ) {
        switch self.kind {
        case .synthetic(let encoder, _, _):
            scratch.clear()
            let millis = UInt64(max(0, wallClockBaseNanos &+ self.dueOffset(index)) / 1_000_000)
            encoder.writePayload(index: index, eventTimeMillis: millis, into: &scratch)
            if combined {
                let prefix = self.envelopePrefixes[index % encoder.symbols.count]
                buffer.writeWebSocketFrameHeader(opcode: .text, payloadLength: prefix.count + scratch.readableBytes + 1)
                buffer.writeBytes(prefix)
                buffer.writeImmutableBuffer(scratch)
                buffer.writeInteger(UInt8(ascii: "}"))
            } else {
                buffer.writeWebSocketFrameHeader(opcode: .text, payloadLength: scratch.readableBytes)
                buffer.writeImmutableBuffer(scratch)
            }
        case .recording(let recording, _):
            let start = combined ? recording.frameStart[index] : recording.payloadStart[index]
            let length = combined ? recording.frameLength[index] : recording.payloadLength[index]
            buffer.writeWebSocketFrameHeader(opcode: .text, payloadLength: length)
            let view = recording.storage.readableBytesView
            buffer.writeBytes(view[(view.startIndex + start)..<(view.startIndex + start + length)])
        }
    }

    /// The text (payload of the frame) of message `index`, for tests comparing what a client received.
    func text(_ index: Int, combined: Bool, wallClockBaseNanos: Int64) -> String {
        var frame = ByteBufferAllocator().buffer(capacity: 512)
        var scratch = ByteBufferAllocator().buffer(capacity: 512)
        self.writeFrame(index, combined: combined, wallClockBaseNanos: wallClockBaseNanos, into: &frame, scratch: &scratch)
        let second = frame.getInteger(at: frame.readerIndex + 1, as: UInt8.self) ?? 0
        let headerLength = second == 126 ? 4 : second == 127 ? 10 : 2
        frame.moveReaderIndex(forwardBy: headerLength)
        return String(buffer: frame)
    }
}
