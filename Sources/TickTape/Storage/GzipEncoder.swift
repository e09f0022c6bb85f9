import CZlib

/// Streaming gzip compression (zlib's deflate with a gzip wrapper), for sealing segments.
///
/// Sealed segments are gzip so that any standard tool (`gzip -dc`, `zcat`, Python's `gzip`,
/// hftbacktest's loaders) reads them. zlib is used directly through a system-library
/// module: it is on every Linux host already, and one small wrapper costs less build time
/// and less indirection than a NIO-flavoured compression package.
package final class GzipEncoder {
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private var finished = false

    /// `level` is zlib's 1 (fastest) … 9 (smallest).
    package init(level: Int32) throws(GzipError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: 256 << 10, alignment: 16)
        // 15 + 16: the largest window, with a gzip header and trailer instead of zlib's.
        let rc = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw GzipError(message: "deflateInit2 failed (\(rc))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    /// Compresses `input`, handing every produced chunk to `sink`. `syncFlush` ends the
    /// output on a byte boundary so that everything given so far can be decoded.
    package func compress(
        _ input: UnsafeRawBufferPointer, syncFlush: Bool = false, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        precondition(!finished, "compress after finish")
        try run(input, flush: syncFlush ? Z_SYNC_FLUSH : Z_NO_FLUSH, sink: sink)
    }

    /// Writes the rest and the gzip trailer (CRC-32 and length).
    package func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { return }
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, sink: sink)
        finished = true
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        while true {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let rc = deflate(stream, flush)
            guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                throw GzipError(message: "deflate failed (\(rc))")
            }
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            if rc == Z_STREAM_END { return }
            // Done when zlib left output space unused and consumed all input.
            if stream.pointee.avail_out != 0 && stream.pointee.avail_in == 0 && flush != Z_FINISH { return }
            if rc == Z_BUF_ERROR && produced == 0 && stream.pointee.avail_in == 0 && flush != Z_FINISH { return }
        }
    }
}

/// A gzip stream that zlib could not produce or decode.
package struct GzipError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package var description: String { "gzip: \(message)" }
}
