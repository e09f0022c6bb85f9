import NIOCore

/// WebSocket opcodes the simulator writes itself.
enum FrameOpcode: UInt8 {
    case text = 0x1
    case close = 0x8
    case ping = 0x9
    case pong = 0xA
}

extension ByteBuffer {
    /// Writes an unmasked, final (FIN) frame header: servers never mask (RFC 6455 §5.1), and the simulator
    /// never fragments.
    @inline(__always)
    mutating func writeWebSocketFrameHeader(opcode: FrameOpcode, payloadLength: Int) {
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
    mutating func writeWebSocketFrame(opcode: FrameOpcode, payload: ByteBuffer) {
        self.writeWebSocketFrameHeader(opcode: opcode, payloadLength: payload.readableBytes)
        self.writeImmutableBuffer(payload)
    }

    /// Writes a close frame with a status code and an optional UTF-8 reason.
    mutating func writeWebSocketCloseFrame(code: UInt16, reason: String = "") {
        let reasonBytes = reason.utf8.count
        self.writeWebSocketFrameHeader(opcode: .close, payloadLength: 2 + reasonBytes)
        self.writeInteger(code)
        self.writeString(reason)
    }

    /// Writes `value` in decimal ASCII without going through `String`.
    @inline(__always)
    mutating func writeDecimal(_ value: UInt64) {
        var digits = 1
        var rest = value / 10
        while rest != 0 {
            digits += 1
            rest /= 10
        }
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { pointer in
            var remaining = value
            var position = digits - 1
            while position >= 0 {
                pointer[position] = UInt8(truncatingIfNeeded: 0x30 &+ remaining % 10)
                remaining /= 10
                position -= 1
            }
            return digits
        }
    }

    /// Writes a fixed-point decimal (`value / 10^fractionDigits`) with exactly `fractionDigits` decimals,
    /// the way Binance formats prices and quantities ("61800.20", "2.507").
    @inline(__always)
    mutating func writeFixedPoint(_ value: UInt64, fractionDigits: Int) {
        var scale: UInt64 = 1
        for _ in 0..<fractionDigits { scale &*= 10 }
        self.writeDecimal(value / scale)
        self.writeInteger(UInt8(ascii: "."))
        var fraction = value % scale
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: fractionDigits) { pointer in
            var position = fractionDigits - 1
            while position >= 0 {
                pointer[position] = UInt8(truncatingIfNeeded: 0x30 &+ fraction % 10)
                fraction /= 10
                position -= 1
            }
            return fractionDigits
        }
    }
}
