import BinanceWire
import NIOCore

/// Turns one captured message into the WebSocket frames the relay sends: the bare payload
/// (`/ws`) and the combined envelope (`/stream`), each with its frame header, encoded once
/// per message whatever the number of clients.
///
/// A capture on a `/stream` URL holds Binance's envelopes (`{"stream":…,"data":…}`), one on
/// `/ws` bare payloads; either way a client gets what Binance would have sent it, byte for
/// byte: the envelope as captured, the `data` member of it, or a bare payload wrapped the way
/// Binance wraps it.
struct RelayFrameEncoder {
    private(set) var raw: ByteBuffer
    private(set) var combined: ByteBuffer
    private var rawReady = false
    private var combinedReady = false
    private var payload = UnsafeRawBufferPointer(start: nil, count: 0)
    private var stream = ""

    init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        raw = allocator.buffer(capacity: 4096)
        combined = allocator.buffer(capacity: 4096)
    }

    /// Starts a new message; the frames are encoded when first asked for. `payload` must stay
    /// valid until the next call.
    mutating func reset(stream: String, payload: UnsafeRawBufferPointer) {
        self.stream = stream
        self.payload = payload
        rawReady = false
        combinedReady = false
    }

    mutating func rawFrame() -> ByteBuffer {
        if !rawReady {
            raw.clear()
            let data = Self.dataMember(of: payload) ?? payload
            raw.writeWebSocketFrameHeader(opcode: .text, payloadLength: data.count)
            raw.writeBytes(data)
            rawReady = true
        }
        return raw
    }

    mutating func combinedFrame() -> ByteBuffer {
        if !combinedReady {
            combined.clear()
            if Self.dataMember(of: payload) != nil {
                combined.writeWebSocketFrameHeader(opcode: .text, payloadLength: payload.count)
                combined.writeBytes(payload)
            } else {
                let prefix = #"{"stream":""#.utf8.count + stream.utf8.count + #"","data":"#.utf8.count
                combined.writeWebSocketFrameHeader(opcode: .text, payloadLength: prefix + payload.count + 1)
                combined.writeString(#"{"stream":""#)
                combined.writeString(stream)
                combined.writeString(#"","data":"#)
                combined.writeBytes(payload)
                combined.writeInteger(UInt8(ascii: "}"))
            }
            combinedReady = true
        }
        return combined
    }

    private static let envelopeStart = Array(#"{"stream":""#.utf8)
    private static let dataKey = Array(#","data":"#.utf8)

    /// The `data` value of a combined-stream envelope, nil if `frame` is not one.
    static func dataMember(of frame: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard frame.count > envelopeStart.count + dataKey.count + 1,
            frame.starts(with: envelopeStart)
        else { return nil }
        // Stream names hold no quote or backslash: the name ends at the next quote.
        var i = envelopeStart.count
        while i < frame.count, frame[i] != UInt8(ascii: "\"") { i += 1 }
        i += 1
        guard i + dataKey.count < frame.count,
            UnsafeRawBufferPointer(rebasing: frame[i..<(i + dataKey.count)]).elementsEqual(dataKey)
        else { return nil }
        var end = frame.count - 1
        while end > i, frame[end] == UInt8(ascii: " ") || frame[end] == UInt8(ascii: "\n") || frame[end] == UInt8(ascii: "\r") {
            end -= 1
        }
        guard frame[end] == UInt8(ascii: "}") else { return nil }
        let start = i + dataKey.count
        return UnsafeRawBufferPointer(rebasing: frame[start..<end])
    }
}
