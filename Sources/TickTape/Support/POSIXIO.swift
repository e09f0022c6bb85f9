#if canImport(Glibc)
import Glibc
#endif

/// The two loops every `read(2)` and `write(2)` here needs, written once: retry on EINTR, and
/// carry on after a short write. Each call site used to repeat them by hand.
enum POSIXIO {
    /// Writes `bytes[offset...]` to `fd`. Returns how far it got (an index into `bytes`) and,
    /// if it stopped early, the errno: the caller can retry from there without duplicating
    /// bytes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, from offset: Int = 0) -> (
        written: Int, error: Int32?
    ) {
        var done = offset
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return (done, errno)
            }
            done += n
        }
        return (done, nil)
    }

    /// `read(2)` retried on EINTR: the bytes read (0 at the end), or -1 with `errno` set.
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 || errno != EINTR { return n }
        }
    }
}
