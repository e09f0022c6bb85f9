import BinanceWire
import CompressNIO
import Foundation
import NIOCore

/// A recorded session held in memory, one combined-stream frame per message.
///
/// The file is read completely at ``ExchangeSimulator/init(configuration:group:)`` so replay never touches the
/// disk. All frames live in one `ByteBuffer`; per message the loader keeps offsets of the whole frame and of the
/// `data` value inside it, so a raw (`/ws/`) client gets exactly the recorded payload bytes and a combined
/// (`/stream`) client exactly the recorded frame.
final class RecordingSource: Sendable {
    /// Concatenated combined frames.
    let storage: ByteBuffer
    /// Per message: start of the combined frame in ``storage``.
    let frameStart: [Int]
    /// Per message: length of the combined frame.
    let frameLength: [Int]
    /// Per message: start of the `data` payload in ``storage``.
    let payloadStart: [Int]
    /// Per message: length of the `data` payload.
    let payloadLength: [Int]
    /// Per message: index into ``streamNames``.
    let streamID: [Int]
    /// Per message: local receive time minus the first message's, in nanoseconds.
    let offsetNanos: [Int64]
    /// Stream names in order of first appearance.
    let streamNames: [String]

    var count: Int { self.frameStart.count }

    /// Loads a gzip (`.gz`) or plain-text hftbacktest recording, skipping lines without a `"stream"` key
    /// (REST snapshots).
    convenience init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulatorError.recordingUnreadable(path: path, reason: "cannot read file")
        }
        var text = ByteBuffer(bytes: data)
        if data.count >= 2, data[data.startIndex] == 0x1F, data[data.startIndex + 1] == 0x8B {
            do {
                text = try text.decompress(with: .gzip())
            } catch {
                throw SimulatorError.recordingUnreadable(path: path, reason: "gzip: \(error)")
            }
        }
        try self.init(text: text, path: path)
    }

    private init(text: ByteBuffer, path: String) throws {
        var storage = ByteBufferAllocator().buffer(capacity: text.readableBytes)
        var frameStart: [Int] = []
        var frameLength: [Int] = []
        var payloadStart: [Int] = []
        var payloadLength: [Int] = []
        var streamID: [Int] = []
        var offsetNanos: [Int64] = []
        var streamNames: [String] = []
        var streamIDs: [String: Int] = [:]
        var firstNanos: Int64?

        let bytes = text.readableBytesView
        var lineNumber = 0
        var lineStart = bytes.startIndex
        while lineStart < bytes.endIndex {
            lineNumber += 1
            let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            var lineEnd = newline
            if lineEnd > lineStart, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            defer { lineStart = newline < bytes.endIndex ? newline + 1 : newline }
            if lineEnd == lineStart { continue }

            guard let space = bytes[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: " ")),
                let nanos = Self.parseInteger(bytes[lineStart..<space])
            else {
                throw SimulatorError.malformedRecordingLine(path: path, line: lineNumber)
            }
            guard let message = Self.splitFrame(bytes[(space + 1)..<lineEnd]) else {
                if Self.isStreamless(bytes[(space + 1)..<lineEnd]) { continue }
                throw SimulatorError.malformedRecordingLine(path: path, line: lineNumber)
            }
            let id: Int
            if let known = streamIDs[message.stream] {
                id = known
            } else {
                id = streamNames.count
                streamIDs[message.stream] = id
                streamNames.append(message.stream)
            }
            let start = storage.writerIndex
            storage.writeBytes(message.prefix)
            let payloadAt = storage.writerIndex
            storage.writeBytes(message.payload)
            storage.writeInteger(UInt8(ascii: "}"))
            frameStart.append(start)
            frameLength.append(storage.writerIndex - start)
            payloadStart.append(payloadAt)
            payloadLength.append(message.payload.count)
            streamID.append(id)
            let first = firstNanos ?? nanos
            firstNanos = first
            offsetNanos.append(nanos - first)
        }
        guard !frameStart.isEmpty else { throw SimulatorError.emptyRecording(path: path) }
        self.storage = storage
        self.frameStart = frameStart
        self.frameLength = frameLength
        self.payloadStart = payloadStart
        self.payloadLength = payloadLength
        self.streamID = streamID
        self.offsetNanos = offsetNanos
        self.streamNames = streamNames
    }

    /// Appends message `index` as one unmasked text frame: the recorded combined frame, or just its `data`.
    @inline(__always)
    func writeFrame(index: Int, combined: Bool, into buffer: inout ByteBuffer) {
        let start = combined ? self.frameStart[index] : self.payloadStart[index]
        let length = combined ? self.frameLength[index] : self.payloadLength[index]
        buffer.writeWebSocketFrameHeader(opcode: .text, payloadLength: length)
        self.storage.withUnsafeReadableBytes { bytes in
            _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]))
        }
    }

    private static func parseInteger(_ digits: ByteBufferView.SubSequence) -> Int64? {
        guard !digits.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            value = sum
        }
        return value
    }

    private struct SplitFrame {
        var stream: String
        var prefix: [UInt8]
        var payload: [UInt8]
    }

    /// Splits a combined frame into stream name and payload.
    ///
    /// The common case, `{"stream":"…","data":…}` as Binance writes it, is sliced byte-exactly. Any other key
    /// order is parsed with `JSONSerialization` and re-emitted in Binance's order.
    private static func splitFrame(_ frame: ByteBufferView.SubSequence) -> SplitFrame? {
        let head = Array(#"{"stream":""#.utf8)
        let middle = Array(#"","data":"#.utf8)
        if frame.starts(with: head), frame.last == UInt8(ascii: "}") {
            let nameStart = frame.startIndex + head.count
            if let quote = frame[nameStart...].firstIndex(of: UInt8(ascii: "\"")),
                frame[quote...].starts(with: middle)
            {
                let payloadStart = quote + middle.count
                let payloadEnd = frame.endIndex - 1
                if payloadStart < payloadEnd {
                    let name = String(decoding: frame[nameStart..<quote], as: UTF8.self)
                    return SplitFrame(
                        stream: name,
                        prefix: Array(frame[frame.startIndex..<payloadStart]),
                        payload: Array(frame[payloadStart..<payloadEnd])
                    )
                }
            }
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any],
            let stream = object["stream"] as? String, let data = object["data"],
            let payload = try? JSONSerialization.data(
                withJSONObject: data,
                options: [.fragmentsAllowed, .withoutEscapingSlashes]
            ),
            let nameJSON = try? JSONSerialization.data(
                withJSONObject: stream,
                options: [.fragmentsAllowed, .withoutEscapingSlashes]
            )
        else { return nil }
        return SplitFrame(
            stream: stream,
            prefix: Array(#"{"stream":"#.utf8) + Array(nameJSON) + Array(#","data":"#.utf8),
            payload: Array(payload)
        )
    }

    /// True for valid JSON objects without a `"stream"` key, such as a REST depth snapshot.
    private static func isStreamless(_ frame: ByteBufferView.SubSequence) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any] else {
            return false
        }
        return object["stream"] == nil
    }
}
