import BinanceWire
import NIOCore

/// Writes the bad frames of ``GarbageFrame`` as complete server frames.
///
/// Each is what a real failure looks like on the wire: a message cut short, a field dropped, a stray binary
/// frame, a frame far larger than any Binance message. The `stream` name keeps the combined envelope
/// plausible so the client cannot reject the frame by its envelope alone.
enum GarbageFrameWriter {
    static func write(_ kind: GarbageFrame, combined: Bool, stream: String?, into buffer: inout ByteBuffer) {
        let streamName = stream ?? "btcusdt@bookTicker"
        func wrap(_ payload: String) -> String {
            combined ? #"{"stream":"\#(streamName)","data":\#(payload)}"# : payload
        }
        switch kind {
        case .invalidUTF8:
            var payload = ByteBuffer(string: #"{"e":"bookTicker","s":""#)
            payload.writeBytes([0xFF, 0xFE, 0xC3, 0x28, 0xED, 0xA0, 0x80])
            payload.writeString(#""}"#)
            buffer.writeWebSocketFrame(opcode: .text, payload: payload)
        case .invalidJSON:
            buffer.writeWebSocketFrame(opcode: .text, payload: ByteBuffer(string: "<html>502 Bad Gateway</html>"))
        case .truncatedJSON:
            let full = wrap(#"{"e":"bookTicker","u":1,"s":"BTCUSDT","b":"1.0","B":"1","a":"1.1","A":"1"}"#)
            buffer.writeWebSocketFrame(opcode: .text, payload: ByteBuffer(string: String(full.prefix(full.count / 2))))
        case .oversize:
            let size = 2 << 20
            buffer.writeWebSocketFrameHeader(opcode: .text, payloadLength: size)
            buffer.writeString(#"{"pad":""#)
            buffer.writeRepeatingByte(UInt8(ascii: "x"), count: size - 10)
            buffer.writeString(#""}"#)
        case .binary:
            buffer.writeWebSocketFrame(opcode: .binary, payload: ByteBuffer(bytes: [0x00, 0x01, 0x02, 0xFF]))
        case .unknownEvent:
            buffer.writeWebSocketFrame(
                opcode: .text, payload: ByteBuffer(string: wrap(#"{"e":"someFutureEvent","E":1,"x":[1,2,3]}"#)))
        case .missingFields:
            buffer.writeWebSocketFrame(
                opcode: .text, payload: ByteBuffer(string: wrap(#"{"e":"bookTicker","s":"BTCUSDT","T":1,"E":1}"#)))
        }
    }
}
