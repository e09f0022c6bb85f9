import NIOCore

/// WebSocket opcodes the simulator and the relay write themselves (pre-framed bytes, so one
/// encoded frame can be shared by every connection that sends it).
package enum FrameOpcode: UInt8, Sendable {
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA
}

extension ByteBuffer {
    /// Writes an unmasked, final (FIN) frame header: servers never mask (RFC 6455 §5.1), and neither the simulator
    /// nor the relay fragments.
    @inline(__always)
    package mutating func writeWebSocketFrameHeader(opcode: FrameOpcode, payloadLength: Int) {
        let first = 0x80 | opcode.rawValue
        if payloadLength <= 125 {
            self.writeInteger(UInt16(first) << 8 | UInt16(payloadLength))
        } else if payloadLength <= Int(UInt16.max) {
            self.writeInteger(UInt16(first) << 8 | 126)
            self.writeInteger(UInt16(payloadLength))
        } else {
            self.writeInteger(UInt16(first) << 8 | 127)
            self.writeInteger(UInt64(payloadLength))
        }
    }

    /// Writes a complete unmasked frame carrying `payload`.
    package mutating func writeWebSocketFrame(opcode: FrameOpcode, payload: ByteBuffer) {
        self.writeWebSocketFrameHeader(opcode: opcode, payloadLength: payload.readableBytes)
        self.writeImmutableBuffer(payload)
    }

    /// Writes a close frame with a status code and an optional UTF-8 reason.
    package mutating func writeWebSocketCloseFrame(code: UInt16, reason: String = "") {
        let reasonBytes = reason.utf8.count
        self.writeWebSocketFrameHeader(opcode: .close, payloadLength: 2 + reasonBytes)
        self.writeInteger(code)
        self.writeString(reason)
    }
}
