import CZlib

/// Streaming gzip decompression for `ticktape verify`, `stats` and the tests.
///
/// It checks what gzip itself promises (the CRC-32 and length of every member) and says so
/// when a stream ends early, which is how a truncated or altered file shows up before any
/// manifest comparison. Concatenated members are decoded in turn, as `gzip -dc` does.
package final class GzipDecoder {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    /// Whether the last member ended with a valid trailer.
    package private(set) var atMemberEnd = false

    package init() throws(GzipError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: 256 << 10, alignment: 16)
        let rc = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw GzipError(message: "inflateInit2 failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// Decodes `input`, handing every produced chunk to `sink`.
    package func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard input.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0 {
            if atMemberEnd {
                // Another member follows.
                guard inflateReset(stream) == Z_OK else { throw GzipError(message: "inflateReset failed") }
                atMemberEnd = false
            }
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let rc = inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            switch rc {
            case Z_STREAM_END:
                atMemberEnd = true
            case Z_OK:
                break
            case Z_BUF_ERROR:
                if produced == 0 { return }
            case Z_DATA_ERROR:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "corrupt data"
                throw GzipError(message: "corrupt stream: \(reason)")
            default:
                throw GzipError(message: "inflate failed (\(rc))")
            }
        }
    }

    /// Throws unless the input ended exactly at the end of a member.
    package func finish() throws(GzipError) {
        guard atMemberEnd else { throw GzipError(message: "unexpected end of stream (truncated file)") }
    }
}
